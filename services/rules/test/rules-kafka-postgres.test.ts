import { type Bus, createBus } from '@telemetry/bus';
import { loadConfig } from '@telemetry/config';
import { AlertV1, decodeMessage } from '@telemetry/contracts';
import { createRegistry, silentLogger } from '@telemetry/observability';
import { createTestStore, kafkaBrokers, type TestStore, uniqueName, waitFor } from '@telemetry/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createRules, presetRule, type RulesService } from '../src/index.js';
import { insertRule, publishAccepted, seedWorld } from './fixtures.js';

// The same worker over real Kafka and a real PostgreSQL server: a restart (group rebalance) in the
// middle of a min-duration window, plus redelivered events, still raise exactly one alert.
let db: TestStore;
let bus: Bus;
const services: RulesService[] = [];

beforeAll(async () => {
  db = await createTestStore('postgres');
  bus = createBus({ kafkaBrokers: kafkaBrokers(), clientId: uniqueName('rules-test'), partitions: 2 });
});
afterAll(async () => {
  await Promise.all(services.map((s) => s.close()));
  await bus?.close();
  await db?.drop();
});

it('keeps a min-duration window across a rebalance and publishes one alert on alerts.v1', async () => {
  const pool = db.store.pool;
  const world = await seedWorld(pool);
  await insertRule(pool, world.tenantId, presetRule('low_level', { deviceId: world.deviceId, minDurationS: 60 }));
  const topics = {
    accepted: uniqueName('accepted'),
    presence: uniqueName('presence'),
    alerts: uniqueName('alerts'),
    tasks: uniqueName('tasks'),
  };
  await bus.ensureTopics(Object.values(topics).map((name) => ({ name })));
  const alerts: AlertV1[] = [];
  const observer = await bus.subscribe({
    groupId: uniqueName('observer'),
    topics: [topics.alerts],
    handler: async (batch) => {
      for (const m of batch.messages) alerts.push(decodeMessage(AlertV1, m.value));
    },
  });
  services.push({ close: () => observer.close() } as RulesService);
  await observer.ready;

  const groupId = uniqueName('rules');
  const start = async () => {
    const rules = createRules({
      bus,
      store: db.store,
      logger: silentLogger(),
      registry: createRegistry(),
      config: loadConfig({}),
      topics,
      groupId,
    });
    await rules.start();
    services.push(rules);
    return rules;
  };
  const t0 = Date.now() - 600_000;
  const at = (s: number) => t0 + s * 1000;
  const lastTs = async () =>
    (
      await pool.query<{ last_ts: Date | null; status: string }>(
        'SELECT last_ts, status FROM rule_state WHERE device_id = $1',
        [world.deviceId],
      )
    ).rows[0];
  const send = (items: [string, number, number][]) =>
    publishAccepted(
      bus,
      topics.accepted,
      world,
      items.map(([eventId, s, level]) => ({ eventId, ts: at(s), metrics: { level } })),
    );

  const first = await start();
  await send([
    ['w1', 0, 10],
    ['w2', 20, 9],
  ]);
  await waitFor(async () => (await lastTs())?.last_ts?.getTime() === at(20), { timeoutMs: 20_000 });
  expect((await lastTs())?.status).toBe('pending');
  await first.close();

  await start();
  await send([
    ['w3', 40, 8],
    ['w4', 70, 7],
    ['w1', 0, 10],
    ['w2', 20, 9],
    ['w3', 40, 8],
    ['w4', 70, 7],
    ['w5', 80, 6],
  ]);
  await waitFor(async () => (await lastTs())?.last_ts?.getTime() === at(80), { timeoutMs: 30_000 });
  const rows = (await pool.query('SELECT state, opened_at FROM alerts WHERE device_id = $1', [world.deviceId])).rows;
  expect(rows).toHaveLength(1);
  expect(rows[0].opened_at.getTime()).toBe(at(70));
  await waitFor(() => alerts.length > 0, { timeoutMs: 20_000 });
  expect(alerts[0]).toMatchObject({ change: 'opened', deviceId: world.deviceId, value: 7 });
});
