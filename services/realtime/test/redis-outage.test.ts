import { type Bus, createMemoryBus } from '@telemetry/bus';
import { startTcpProxy, type TcpProxy, type TestStore, uniqueName, waitFor } from '@telemetry/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  alertMessage,
  type Client,
  connect,
  type Instance,
  metricValue,
  publishAlerts,
  publishTelemetry,
  reading,
  startInstance,
  tokenFor,
  type World,
} from './fixtures.js';
import { seededStore } from './setup.js';

/**
 * #15: realtime exited after ~10 s without Redis while telemetry flowed (the redis adapter's
 * fire-and-forget PUBLISH rejected with MaxRetriesPerRequestError, unhandled). Two instances
 * reach the machine's Redis through a proxy the test cuts for 12 s (past the ~10 s that killed
 * it) with telemetry flowing; they stay up (an unhandled rejection fails the vitest run), report
 * not-ready, and are ready again and delivering across instances shortly after Redis returns.
 */
const REDIS_URL = process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379';
const OUTAGE_MS = 12_000;

let db: TestStore;
let bus: Bus;
let w: World;
let proxy: TcpProxy;
const redis: Redis[] = [];
const instances: Instance[] = [];
const clients: Client[] = [];

beforeAll(async () => {
  ({ db, w } = await seededStore());
  bus = createMemoryBus({ partitions: 4 });
  proxy = await startTcpProxy({ port: Number(new URL(REDIS_URL).port || 6379) });
  const key = uniqueName('rt-outage');
  const groupId = uniqueName('realtime');
  for (let i = 0; i < 2; i++) {
    // ioredis defaults, as in main.ts: the case that crashed
    const client = new Redis(proxy.url(REDIS_URL));
    client.on('error', () => undefined);
    redis.push(client);
    instances.push(await startInstance({ bus, store: db.store, redis: client, options: { redisKey: key, groupId } }));
  }
});

afterAll(async () => {
  for (const c of clients) c.close();
  for (const i of instances) await i.realtime.close();
  for (const r of redis) r.disconnect();
  await proxy?.close();
  await bus?.close();
  await db?.drop();
});

describe('realtime while Redis is away', () => {
  it(
    'stays up and not-ready without Redis, then resumes cross-instance delivery on its own',
    async () => {
      const [a, b] = instances as [Instance, Instance];
      const onA = await connect(a.url, tokenFor(w.users.adminA, w.tenantA, 'admin'));
      // an admin: an operator sees only the alerts of their assignments (work-view.ts)
      const onB = await connect(b.url, tokenFor(w.users.adminA, w.tenantA, 'admin'));
      clients.push(onA, onB);
      for (const c of [onA, onB]) expect(await c.subscribe('tenant', w.tenantA)).toMatchObject({ ok: true });
      expect(a.realtime.ready() && b.realtime.ready()).toBe(true);

      proxy.down();
      const downAt = Date.now();
      const failures = async () =>
        (
          await Promise.all(instances.map((i) => metricValue(i.registry, 'realtime_redis_publish_failures_total')))
        ).reduce((x, y) => x + y, 0);
      // telemetry keeps flowing until the outage is long enough AND the adapter's publishes have
      // started failing (ioredis gives up after 20 retries, ~10.5 s; later on a loaded machine):
      // that rejection is what ended the process
      let n = 0;
      while (Date.now() - downAt < OUTAGE_MS || (await failures()) === 0) {
        if (Date.now() - downAt > OUTAGE_MS + 60_000) break;
        await publishTelemetry(bus, [{ key: `d${n}`, value: reading({ tenantId: w.tenantA, deviceId: `d${n}` }, n) }]);
        n++;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(a.realtime.ready() || b.realtime.ready()).toBe(false);
      expect(await failures()).toBeGreaterThan(0);
      // a few more deliveries fail and are caught, not fatal
      await new Promise((r) => setTimeout(r, 1_000));

      proxy.up();
      const upAt = Date.now();
      await waitFor(() => a.realtime.ready() && b.realtime.ready(), { timeoutMs: 10_000, message: 'ready again' });
      const readyMs = Date.now() - upAt;
      console.log(`[resilience] realtime: Redis down ${upAt - downAt} ms, ready again ${readyMs} ms after it returned`);

      // cross-instance delivery works again: every alert reaches both clients, once
      const before = [onA.alerts.length, onB.alerts.length];
      const alerts = Array.from({ length: 20 }, (_, i) =>
        alertMessage({ tenantId: w.tenantA, deviceId: `k${i}`, message: `after${i}` }),
      );
      await publishAlerts(bus, alerts);
      await waitFor(() => onA.alerts.length - (before[0] ?? 0) >= 20 && onB.alerts.length - (before[1] ?? 0) >= 20, {
        timeoutMs: 10_000,
        message: 'alerts on both instances after Redis returned',
      });
      for (const c of [onA, onB]) {
        const ids = c.alerts.map((x) => x.alert.alertId).filter((id) => alerts.some((al) => al.alertId === id));
        expect(new Set(ids).size).toBe(20);
        expect(ids.length).toBe(20);
      }
      expect(onA.socket.connected && onB.socket.connected).toBe(true);
    },
    OUTAGE_MS + 120_000,
  );
});
