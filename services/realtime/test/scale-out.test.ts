import { type Bus, createMemoryBus } from '@telemetry/bus';
import { type TestStore, uniqueName, waitFor } from '@telemetry/testing';
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

const REDIS_URL = process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379';

let db: TestStore;
let bus: Bus;
let w: World;
const redis: Redis[] = [];
const instances: Instance[] = [];
const clients: Client[] = [];

beforeAll(async () => {
  ({ db, w } = await seededStore());
  // One bus standing for Kafka: both instances join the same consumer group on it.
  bus = createMemoryBus({ partitions: 4 });
  const key = uniqueName('rt-test'); // this test's own adapter channels
  const groupId = uniqueName('realtime');
  for (let i = 0; i < 2; i++) {
    // maxRetriesPerRequest 0: a missing Redis fails the test at once instead of retrying forever.
    const client = new Redis(REDIS_URL, { maxRetriesPerRequest: 0, lazyConnect: true });
    await client.connect();
    redis.push(client);
    instances.push(await startInstance({ bus, store: db.store, redis: client, options: { redisKey: key, groupId } }));
  }
});

afterAll(async () => {
  for (const c of clients) c.close();
  for (const i of instances) await i.realtime.close();
  for (const r of redis) r.disconnect();
  await bus?.close();
  await db?.drop();
});

describe('two realtime instances over Redis', () => {
  it('deliver each bus message exactly once to each client, whichever instance consumed it', async () => {
    const [a, b] = instances as [Instance, Instance];
    const onA = await connect(a.url, tokenFor(w.users.adminA, w.tenantA, 'admin'));
    // an admin: an operator sees only the alerts of their assignments (work-view.ts)
    const onB = await connect(b.url, tokenFor(w.users.adminA, w.tenantA, 'admin'));
    clients.push(onA, onB);
    for (const c of [onA, onB]) {
      // Two overlapping rooms: still one copy per message.
      expect(await c.subscribe('tenant', w.tenantA)).toMatchObject({ ok: true });
      expect(await c.subscribe('device', w.deviceA)).toMatchObject({ ok: true });
    }

    // Alerts keyed over every partition: each instance consumes about half of them.
    const n = 40;
    const alerts = Array.from({ length: n }, (_, i) =>
      alertMessage({ tenantId: w.tenantA, deviceId: `k${i}`, message: `m${i}` }),
    );
    await publishAlerts(bus, alerts);
    await waitFor(() => onA.alerts.length >= n && onB.alerts.length >= n, { message: 'all alerts on both instances' });

    // Telemetry of n distinct devices (no coalescing), then a second round of alerts: any
    // duplicate of the first round would have arrived by the time the second round is complete.
    await publishTelemetry(
      bus,
      Array.from({ length: n }, (_, i) => ({
        key: `d${i}`,
        value: reading({ tenantId: w.tenantA, deviceId: `d${i}` }, i),
      })),
    );
    const more = Array.from({ length: n }, (_, i) =>
      alertMessage({ tenantId: w.tenantA, deviceId: `k${i}`, message: `second${i}` }),
    );
    await publishAlerts(bus, more);
    await waitFor(() => [onA, onB].every((c) => c.alerts.length >= 2 * n && c.telemetry.length >= n), {
      message: 'second round on both instances',
    });

    for (const c of [onA, onB]) {
      const ids = c.alerts.map((x) => x.alert.alertId);
      expect(ids.length).toBe(2 * n);
      expect(new Set(ids).size).toBe(2 * n);
      const events = c.telemetry.map((t) => t.eventId);
      expect(events.length).toBe(n);
      expect(new Set(events).size).toBe(n);
    }
    // Each message was handled by exactly one instance, and both took part.
    const consumed = await Promise.all(
      instances.map((i) => metricValue(i.registry, 'realtime_consumed_total', { outcome: 'routed' })),
    );
    expect(consumed.reduce((x, y) => x + y, 0)).toBe(3 * n);
    expect(consumed.every((x) => x > 0)).toBe(true);
  });
});
