import { waitFor } from '@telemetry/testing';
import mqtt from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { api } from './scenario.js';
import { startTalkBack, type TalkBack } from './talkback.js';

const SAMPLES = Number(process.env.COMMAND_LATENCY_SAMPLES ?? 100);

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;

/**
 * Command delivery latency (#18): from the API call (POST /api/devices/{id}/commands) to the
 * device receiving the command on devices/{id}/commands, one command at a time. Printed, not
 * asserted (timings are reported, BENCHMARKS.md): the embedded default (in-process bus, embedded
 * store, one gateway) and Kafka + PostgreSQL + Redis with two gateway instances (the device on the
 * second one, so the announcement crosses the bus and the cluster).
 */
describe('command delivery latency (API call -> device receives)', () => {
  let t: TalkBack | undefined;
  afterAll(async () => t?.close());

  for (const backend of ['embedded', 'distributed'] as const) {
    it(`${backend}: p50/p99 over ${SAMPLES} commands`, async () => {
      await t?.close();
      t = await startTalkBack({ backend, gateways: backend === 'embedded' ? 1 : 2, redis: backend === 'distributed' });
      const device = await t.device(`Latency-${backend}`);
      const gateway = t.gateways.at(-1) as TalkBack['gateways'][0];
      const client = await mqtt.connectAsync(gateway.url, {
        clientId: device.deviceId,
        username: device.deviceId,
        password: device.token,
        reconnectPeriod: 0,
      });
      const arrived = new Map<string, number>();
      client.on('message', (_topic, payload) => {
        const { id } = JSON.parse(payload.toString()) as { id: string };
        arrived.set(id, performance.now());
      });
      await client.subscribeAsync(`devices/${device.deviceId}/commands`, { qos: 1 });
      const latencies: number[] = [];
      for (let i = 0; i < SAMPLES + 5; i++) {
        const started = performance.now();
        const sent = await api(t.d, 'POST', `/api/devices/${device.deviceId}/commands`, {
          token: t.token,
          body: { name: 'ping', params: { i } },
          expect: 201,
        });
        await waitFor(() => arrived.has(sent.id), { timeoutMs: 15_000, intervalMs: 1, message: `command ${i}` });
        // the first few warm up connections and caches
        if (i >= 5) latencies.push((arrived.get(sent.id) as number) - started);
      }
      await client.endAsync();
      latencies.sort((a, b) => a - b);
      const figures = {
        backend:
          backend === 'embedded'
            ? 'embedded (memory bus, PGlite, 1 gateway)'
            : 'Kafka + PostgreSQL + Redis (2 gateways)',
        samples: latencies.length,
        p50Ms: Number(pct(latencies, 50).toFixed(1)),
        p99Ms: Number(pct(latencies, 99).toFixed(1)),
        maxMs: Number((latencies.at(-1) as number).toFixed(1)),
      };
      console.log(`[command latency] ${JSON.stringify(figures)}`);
      expect(latencies).toHaveLength(SAMPLES);
    }, 240_000);
  }
});
