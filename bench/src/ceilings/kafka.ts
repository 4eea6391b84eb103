/**
 * Kafka ceiling: a raw kafkajs producer with the bus's settings (idempotent, acks=all, one
 * sendBatch in flight, ≤ 512 KB per request: packages/bus/src/kafka/publisher.ts) sending
 * telemetry.raw.v1-shaped messages keyed by device, as fast as the broker acknowledges them.
 */
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, Partitioners } from 'kafkajs';

export interface CeilingResult {
  messages: number;
  seconds: number;
  perSec: number;
  note: string;
}

export function rawEvent(tenantId: string, deviceId: string, seq: number, at: number): string {
  const ts = new Date(at).toISOString();
  return JSON.stringify({
    v: 1,
    tenantId,
    deviceId,
    eventId: `k-${seq}`,
    kind: 'telemetry',
    ts,
    receivedAt: ts,
    source: 'mqtt',
    metrics: { temperature: 20 + (seq % 100) / 10, humidity: 40 + (seq % 37), counter: seq },
    attributes: {},
    trace: { device: at, gateway: at },
  });
}

export async function kafkaCeiling(o: {
  brokers: string[];
  devices: number;
  durationMs: number;
  partitions: number;
}): Promise<CeilingResult> {
  const kafka = new Kafka({ clientId: `bench-ceiling-${process.pid}`, brokers: o.brokers, logLevel: logLevel.NOTHING });
  const topic = `bench.ceiling.${randomUUID().slice(0, 8)}`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [{ topic, numPartitions: o.partitions, replicationFactor: 1 }],
    waitForLeaders: true,
  });
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  const tenantId = randomUUID();
  const maxBytes = 512 * 1024;
  let seq = 0;
  let sent = 0;
  const batch = () => {
    const messages: { key: string; value: string }[] = [];
    let bytes = 0;
    const at = Date.now();
    while (bytes < maxBytes) {
      const s = seq++;
      const value = rawEvent(tenantId, `bench-${s % o.devices}`, s, at);
      bytes += value.length + 40;
      messages.push({ key: `bench-${s % o.devices}`, value });
    }
    return messages;
  };
  try {
    // warm-up (metadata, producer id, the broker's JIT on a fresh start), not counted
    const warm = performance.now();
    while (performance.now() - warm < Math.min(3_000, o.durationMs / 2))
      await producer.send({ topic, messages: batch(), acks: -1 });
    const t0 = performance.now();
    while (performance.now() - t0 < o.durationMs) {
      const messages = batch();
      await producer.send({ topic, messages, acks: -1 });
      sent += messages.length;
    }
    const seconds = (performance.now() - t0) / 1000;
    const size = rawEvent(tenantId, 'bench-0', 1, Date.now()).length;
    return {
      messages: sent,
      seconds,
      perSec: sent / seconds,
      note: `kafkajs, idempotent, acks=all, 1 request in flight of ≤ 512 KB, ${o.partitions} partitions, ~${size} B messages`,
    };
  } finally {
    await producer.disconnect().catch(() => undefined);
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
}
