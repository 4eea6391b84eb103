/**
 * Micro benchmark of the edge's payload decoding (#14): the path before (JSON.parse + zod
 * MqttPayload + fromMqtt) against decodeDevicePayload (default decoder, device id, and derived ids).
 * Run: pnpm tsx bench/src/decoder-micro.ts   (figures in BENCHMARKS.md; no assertions)
 */
import { decodeDevicePayload, fromMqtt, MqttPayload } from '@telemetry/contracts';

const N = Number(process.env.N ?? 200_000);
const at = new Date();
const cases: Record<string, string> = {
  'generic (id, ts, metrics)': JSON.stringify({ event_id: 'd1-42', ts: at.toISOString(), metrics: { t: 21.5, h: 40 } }),
  'no id, seconds ts (content id)': JSON.stringify({ ts: Math.floor(at.getTime() / 1000), t: 21.5, h: 40 }),
  'no id, no ts (arrival id)': JSON.stringify({ t: 21.5, h: 40 }),
  'nested + numeric strings': JSON.stringify({ event_id: 7, sensors: { t: '21.5', h: '40' } }),
  'key=value': 't=21.5&h=40',
};

function time(fn: () => void): number {
  for (let i = 0; i < 20_000; i++) fn();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) fn();
  return Number(process.hrtime.bigint() - t0) / N / 1000; // µs per call
}

const before = time(() => {
  const p = MqttPayload.parse(JSON.parse(cases['generic (id, ts, metrics)'] as string));
  fromMqtt('telemetry', p);
});
console.log(`before  generic (id, ts, metrics): ${before.toFixed(2)} µs/msg`);
for (const [name, payload] of Object.entries(cases)) {
  const us = time(() => {
    decodeDevicePayload({ deviceId: 'd1', kind: 'telemetry', payload, receivedAt: at });
  });
  console.log(`after   ${name}: ${us.toFixed(2)} µs/msg`);
}
