import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type Bus, createBus } from '@telemetry/bus';
import { createTestStore, type TestStore, uniqueName, waitFor } from '@telemetry/testing';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDevice, startGateway, type TestGateway, tap } from './helpers.js';

/**
 * PUBACK-after-Kafka, proven by stopping Kafka: this file starts a broker of its own
 * (infra/kafka/kafka.sh on a free port) so the run's shared broker is never touched.
 * kafka.sh wipes the data at every start, so the restarted broker is a new, empty cluster:
 * the test recreates the topics, as an operator would, and only counts messages sent
 * during the outage.
 */

const run = promisify(execFile);
const kafkaSh = fileURLToPath(new URL('../../../infra/kafka/kafka.sh', import.meta.url));

let port: number;
let env: NodeJS.ProcessEnv;
let db: TestStore;
let bus: Bus;
let gw: TestGateway;

const kafka = async (command: 'start' | 'stop') => {
  const started = Date.now();
  await run('bash', [kafkaSh, command], { env, timeout: 120_000 });
  return Date.now() - started;
};

beforeAll(async () => {
  port = await freePort();
  env = { ...process.env, KAFKA_PORT: String(port) };
  await kafka('start');
  db = await createTestStore('embedded');
  bus = createBus({ kafkaBrokers: [`127.0.0.1:${port}`], clientId: uniqueName('gw-outage'), partitions: 1 });
  gw = await startGateway(bus, db.store);
});

afterAll(async () => {
  await gw?.close();
  await bus?.close();
  await db?.drop();
  if (env) await kafka('stop');
});

describe('mqtt gateway while Kafka is down', () => {
  it('withholds PUBACKs while Kafka is stopped, keeps the connection, and loses nothing once it is back', async () => {
    const token = await gw.device('outage-1');
    const client: MqttClient = await connectDevice(gw.port, 'outage-1', token, { keepalive: 120 });
    await client.publishAsync('devices/outage-1/telemetry', JSON.stringify({ event_id: 'before', t: 0 }), { qos: 1 });
    expect(gw.gateway.ready()).toBe(true);

    const stopMs = await kafka('stop');
    const n = 20;
    let acked = 0;
    const publishes = Array.from({ length: n }, (_, i) =>
      client
        .publishAsync('devices/outage-1/telemetry', JSON.stringify({ event_id: `during-${i}`, i }), { qos: 1 })
        .then(() => {
          acked++;
        }),
    );
    // The gateway notices (readiness fails) while every message waits for the bus.
    await waitFor(() => !gw.gateway.ready() && gw.gateway.inflight() === n, { timeoutMs: 40_000 });
    expect(acked).toBe(0);
    expect(client.connected).toBe(true);

    const startMs = await kafka('start');
    await bus.ensureTopics([{ name: gw.topics.raw }, { name: gw.topics.dead }, { name: gw.topics.presence }]);
    await Promise.all(publishes);
    expect(acked).toBe(n);
    await waitFor(() => gw.gateway.ready(), { timeoutMs: 30_000 });

    const raw = await tap(bus, gw.topics.raw);
    await waitFor(() => raw.messages.length >= n, { timeoutMs: 30_000 });
    expect(raw.of('outage-1').map((m) => m.eventId)).toEqual(Array.from({ length: n }, (_, i) => `during-${i}`));
    console.log(`[kafka-outage] broker stop ${stopMs} ms, restart ${startMs} ms`);
    await client.endAsync();
  }, 120_000); // a broker stop and start (2-5 s each on an idle machine, more under load) plus ~10 s to notice
});

/**
 * A free port BELOW the kernel's ephemeral range (32768+). While the broker is down, kafkajs keeps
 * reconnecting to its port; a port in the ephemeral range can then be taken by a TCP self-connect
 * (source port = destination port), and the restarted broker fails with "Address already in use".
 */
async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const candidate = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(candidate, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (free) return candidate;
  }
  throw new Error('no free port below the ephemeral range');
}
