import { type Bus, createMemoryBus } from '@telemetry/bus';
import { createRegistry as createMetricsRegistry, silentLogger } from '@telemetry/observability';
import { createDeviceRegistry, type DeviceRegistry } from '@telemetry/registry';
import { createTestStore, startTcpProxy, type TcpProxy, type TestStore, uniqueName, waitFor } from '@telemetry/testing';
import { Redis } from 'ioredis';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway, type Gateway, type GatewayTopics } from '../src/index.js';
import { connectDevice, type Tap, tap } from './helpers.js';

/**
 * #15: the clustered gateway (REDIS_URL) could not start while Redis was down (exited after
 * ~13 s), so ingestion was down 23 s in one run. Here Redis (the machine's, through a proxy the
 * test cuts) is down for 30 s while a device publishes QoS 1 to gateway A, and gateway B is
 * (re)started meanwhile. A stays the same live object and keeps its device's PUBACKs flowing, B
 * waits not-ready; within 5 s of Redis returning both accept CONNECTs and B's device is acknowledged.
 */
const REDIS_URL = process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379';
const OUTAGE_MS = Number(
  process.env.RESILIENCE_REDIS_OUTAGE_MS ?? (process.env.RESILIENCE_SOAK === '1' ? 300_000 : 30_000),
);
const prefix = `${uniqueName('mqtt-outage')}:`;

let db: TestStore;
let bus: Bus;
let registry: DeviceRegistry;
let tenantId: string;
let topics: GatewayTopics;
let proxy: TcpProxy;
let raw: Tap;
const gateways: Gateway[] = [];
const clients: MqttClient[] = [];

function gateway(): Gateway {
  const g = createGateway({
    bus,
    registry,
    logger: silentLogger(),
    metrics: createMetricsRegistry(),
    gatewayId: uniqueName('gw'),
    topics,
    options: {
      host: '127.0.0.1',
      port: 0,
      wsPort: -1,
      maxPacketBytes: 65_536,
      maxInflight: 10_000,
      connectsPerIpPerMinute: 10_000,
      redisUrl: proxy.url(REDIS_URL),
      redisPrefix: prefix,
    },
  });
  gateways.push(g);
  return g;
}

async function device(id: string): Promise<string> {
  await registry.lifecycle.preRegister({ tenantId, deviceId: id });
  return (await registry.lifecycle.rotateToken(id)).token;
}

beforeAll(async () => {
  db = await createTestStore('embedded');
  bus = createMemoryBus({ partitions: 2 });
  registry = createDeviceRegistry({ pool: db.store.pool });
  tenantId = (
    await db.store.pool.query<{ id: string }>('INSERT INTO tenants (name) VALUES ($1) RETURNING id', [
      uniqueName('tenant'),
    ])
  ).rows[0]!.id;
  topics = { raw: uniqueName('raw'), dead: uniqueName('dead'), presence: uniqueName('presence') };
  proxy = await startTcpProxy({ port: Number(new URL(REDIS_URL).port || 6379) });
  await bus.ensureTopics([{ name: topics.raw }, { name: topics.dead }, { name: topics.presence }]);
  raw = await tap(bus, topics.raw);
});

afterAll(async () => {
  for (const c of clients) c.end(true);
  for (const g of gateways) await g.close().catch(() => undefined);
  await proxy?.close();
  const cleanup = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await cleanup.connect().catch(() => undefined);
  const keys = await cleanup.keys(`${prefix}*`).catch(() => [] as string[]);
  if (keys.length > 0) await cleanup.del(...keys).catch(() => undefined);
  cleanup.disconnect();
  await bus?.close();
  await db?.drop();
});

describe('mqtt gateway while Redis is down', () => {
  it(
    'keeps acknowledging a connected device, starts another instance not-ready, and both resume within 5 s',
    async () => {
      const a = gateway();
      const { port: portA } = await a.start();
      const tokenA = await device('rd-a');
      const tokenB = await device('rd-b');
      const devA = await connectDevice(portA, 'rd-a', tokenA, { keepalive: 120 });
      clients.push(devA);
      await waitFor(() => a.ready(), { timeoutMs: 5_000, message: 'A ready' });

      // a device publishing QoS 1 every 50 ms, through the whole outage
      const acked: string[] = [];
      let sending = true;
      let seq = 0;
      const publisher = (async () => {
        while (sending) {
          const id = `a-${seq++}`;
          await devA.publishAsync('devices/rd-a/telemetry', JSON.stringify({ event_id: id, t: 1 }), { qos: 1 });
          acked.push(id);
          await new Promise((r) => setTimeout(r, 50));
        }
      })();

      proxy.down();
      const downAt = Date.now();
      await waitFor(() => !a.ready(), { timeoutMs: 10_000, message: 'A not ready without Redis' });
      // the restarted replica: starts while Redis is down, waits, not ready
      const b = gateway();
      let bPort: number | undefined;
      const bStarted = b.start().then(({ port }) => {
        bPort = port;
      });
      const ackedAtDown = acked.length;
      await new Promise((r) => setTimeout(r, Math.max(0, OUTAGE_MS - (Date.now() - downAt))));
      expect(b.ready()).toBe(false);
      expect(bPort).toBeUndefined();
      const ackedDuringOutage = acked.length - ackedAtDown;
      // the uplink does not go through Redis: the connected device kept being acknowledged all along
      // (it was cut after ~10.5 s, when a session-store command gave up its retries) and is still connected
      expect(ackedDuringOutage).toBeGreaterThan(OUTAGE_MS / 100);
      expect(devA.connected).toBe(true);

      proxy.up();
      const upAt = Date.now();
      await bStarted;
      await waitFor(() => a.ready() && b.ready(), { timeoutMs: 5_000, message: 'A and B ready within 5 s' });
      const devB = await connectDevice(bPort as number, 'rd-b', tokenB, { keepalive: 120 });
      clients.push(devB);
      await devB.publishAsync('devices/rd-b/telemetry', JSON.stringify({ event_id: 'b-0', t: 1 }), { qos: 1 });
      const resumedMs = Date.now() - upAt;
      // A accepts new CONNECTs again (they need the session store in Redis)
      const again = await connectDevice(portA, 'rd-b', tokenB, { keepalive: 120, clientId: 'rd-b-2' });
      clients.push(again);
      expect(resumedMs).toBeLessThan(5_000);
      console.log(
        `[resilience] gateway: Redis down ${OUTAGE_MS} ms; ${ackedDuringOutage} PUBACKs meanwhile on A; ` +
          `B (started during the outage) acknowledged its first publish ${resumedMs} ms after Redis returned`,
      );

      sending = false;
      await publisher;
      // every acknowledged publish reached the bus, once
      await waitFor(() => raw.of('rd-a').length >= acked.length, { timeoutMs: 10_000, message: 'all of A on the bus' });
      const ids = raw.of('rd-a').map((m) => m.eventId ?? m.event_id);
      expect(new Set(ids).size).toBe(ids.length);
      for (const id of acked) expect(ids).toContain(id);
      expect(raw.of('rd-b').length).toBeGreaterThanOrEqual(1);
    },
    OUTAGE_MS + 60_000,
  );
});
