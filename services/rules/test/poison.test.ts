import { type Bus, createBus, createMemoryBus, DeadLetterHeaders, type IncomingMessage } from '@telemetry/bus';
import { loadConfig } from '@telemetry/config';
import { createRegistry, silentLogger } from '@telemetry/observability';
import { createTestStore, kafkaBrokers, type TestStore, uniqueName, waitFor } from '@telemetry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRules, presetRule, type RulesService } from '../src/index.js';
import { insertRule, publishAccepted, seedWorld } from './fixtures.js';

// Errors decide: an accepted message the worker fails on for good (its asset id is no uuid, so
// PostgreSQL answers 22P02 on every try) is dead-lettered with its reason in the delivery that
// failed, and the partition goes on: the reading after it raises its alert.
let db: TestStore;
beforeAll(async () => {
  db = await createTestStore('embedded');
});
afterAll(async () => db?.drop());

const backends: [string, () => Bus][] = [
  ['memory bus', () => createMemoryBus({ partitions: 2 })],
  ['kafka', () => createBus({ kafkaBrokers: kafkaBrokers(), clientId: uniqueName('poison'), partitions: 2 })],
];

describe.each(backends)('rules worker, poison message (%s)', (_name, makeBus) => {
  let bus: Bus;
  let rules: RulesService | undefined;
  beforeAll(() => {
    bus = makeBus();
  });
  afterAll(async () => {
    await rules?.close();
    await bus?.close();
  });

  it('dead-letters it with its reason within one redelivery and processes the next message', async () => {
    const world = await seedWorld(db.store.pool);
    await insertRule(db.store.pool, world.tenantId, presetRule('low_level', { deviceId: world.deviceId }));
    const topics = {
      accepted: uniqueName('accepted'),
      presence: uniqueName('presence'),
      alerts: uniqueName('alerts'),
      tasks: uniqueName('tasks'),
      deadLetter: uniqueName('dead'),
    };
    await bus.ensureTopics(Object.values(topics).map((name) => ({ name })));
    const dead: IncomingMessage[] = [];
    const observer = await bus.subscribe({
      groupId: uniqueName('dead-observer'),
      topics: [topics.deadLetter],
      durable: false,
      handler: async (batch) => {
        dead.push(...batch.messages);
      },
    });
    await observer.ready;
    rules = createRules({
      bus,
      store: db.store,
      logger: silentLogger(),
      registry: createRegistry(),
      config: loadConfig({ RULES_RELAY_INTERVAL: '1h', OFFLINE_CHECK_INTERVAL: '1h' }),
      topics,
      groupId: uniqueName('rules'),
    });
    await rules.start();

    const ts = Date.now() - 60_000;
    // same key, so the same partition and order: the poison first, then a good low reading
    await publishAccepted(bus, topics.accepted, { ...world, dispenserId: 'not-a-uuid' }, [
      { ts, metrics: { level: 3 } },
    ]);
    await publishAccepted(bus, topics.accepted, world, [{ ts: ts + 1000, metrics: { level: 3 } }]);

    const [letter] = await waitFor(() => (dead.length > 0 ? dead : undefined), { timeoutMs: 20_000 });
    expect(letter?.headers[DeadLetterHeaders.error]).toBe('22P02');
    expect(letter?.headers[DeadLetterHeaders.reason]).toMatch(/uuid/);
    expect(letter?.headers[DeadLetterHeaders.topic]).toBe(topics.accepted);
    expect(letter?.value.toString()).toContain('not-a-uuid');
    const alerts = await waitFor(
      async () => {
        const { rows } = await db.store.pool.query('SELECT state FROM alerts WHERE device_id = $1', [world.deviceId]);
        return rows.length > 0 ? rows : undefined;
      },
      { timeoutMs: 20_000 },
    );
    expect(alerts).toEqual([{ state: 'open' }]);
    expect(dead).toHaveLength(1);
    await observer.close();
  });
});
