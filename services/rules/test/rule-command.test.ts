import { type Bus, createMemoryBus } from '@telemetry/bus';
import { loadConfig } from '@telemetry/config';
import { DeviceCommandV1, decodeMessage } from '@telemetry/contracts';
import { createRegistry, silentLogger } from '@telemetry/observability';
import { createTestStore, type TestStore, uniqueName } from '@telemetry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRules, type RulesService } from '../src/index.js';
import { insertRule, publishAccepted, seedWorld } from './fixtures.js';

// Issue 18: a rule may carry a command, sent to the device when the rule fires, once per episode:
// not again while the episode lasts, nor when the batch that opened it is redelivered; again after
// the alert resolved and the rule fired anew.
let db: TestStore;
let bus: Bus;
let rules: RulesService | undefined;
const config = loadConfig({ OFFLINE_CHECK_INTERVAL: '1h', RULES_RELAY_INTERVAL: '1h' });

beforeAll(async () => {
  db = await createTestStore('embedded');
  bus = createMemoryBus({ partitions: 2 });
});
afterAll(async () => {
  await rules?.close();
  await bus?.close();
  await db?.drop();
});

describe('a rule that commands the device', () => {
  it('queues its command once per episode, announced on device.commands.v1', async () => {
    const world = await seedWorld(db.store.pool);
    const topics = {
      accepted: uniqueName('accepted'),
      presence: uniqueName('presence'),
      alerts: uniqueName('alerts'),
      tasks: uniqueName('tasks'),
      commands: uniqueName('commands'),
      deadLetter: uniqueName('dead'),
    };
    await bus.ensureTopics(Object.values(topics).map((name) => ({ name })));
    const announced: DeviceCommandV1[] = [];
    const observer = await bus.subscribe({
      groupId: uniqueName('observer'),
      topics: [topics.commands],
      durable: true,
      handler: async (batch) => {
        for (const m of batch.messages) announced.push(decodeMessage(DeviceCommandV1, m.value));
      },
    });
    await observer.ready;
    await insertRule(db.store.pool, world.tenantId, {
      name: 'Refill when low',
      kind: 'threshold',
      deviceId: world.deviceId,
      metric: 'level',
      operator: '<',
      threshold: 10,
      clearThreshold: 15,
      command: { name: 'refill_request', params: { to: 100 }, ttlS: 600 },
    });
    rules = createRules({
      bus,
      store: db.store,
      logger: silentLogger(),
      registry: createRegistry(),
      config,
      topics,
      groupId: uniqueName('rules'),
      maxLag: 0, // a publish resolves once the rules processed it
    });
    await rules.start();

    const t0 = Date.now() - 600_000;
    const low = [
      { ts: t0, metrics: { level: 50 }, eventId: 'a' },
      { ts: t0 + 1_000, metrics: { level: 8 }, eventId: 'b' },
      { ts: t0 + 2_000, metrics: { level: 6 }, eventId: 'c' },
    ];
    await publishAccepted(bus, topics.accepted, world, low);
    // the same batch again (a redelivery after a crash): nothing more
    await publishAccepted(bus, topics.accepted, world, low);
    await publishAccepted(bus, topics.accepted, world, [{ ts: t0 + 3_000, metrics: { level: 4 }, eventId: 'd' }]);

    const commands = async () =>
      (
        await db.store.pool.query<{ id: string; name: string; params: unknown; status: string; alert_id: string }>(
          'SELECT id, name, params, status, alert_id FROM device_commands WHERE device_id = $1 ORDER BY created_at',
          [world.deviceId],
        )
      ).rows;
    let rows = await commands();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ name: 'refill_request', params: { to: 100 }, status: 'queued' });
    const alerts = await db.store.pool.query<{ id: string }>('SELECT id FROM alerts WHERE device_id = $1', [
      world.deviceId,
    ]);
    expect(rows[0]?.alert_id).toBe(alerts.rows[0]?.id);

    // back above the hysteresis band (resolved), then low again: a new episode, a new command
    await publishAccepted(bus, topics.accepted, world, [
      { ts: t0 + 4_000, metrics: { level: 90 }, eventId: 'e' },
      { ts: t0 + 5_000, metrics: { level: 9 }, eventId: 'f' },
    ]);
    rows = await commands();
    expect(rows).toHaveLength(2);
    expect(new Set(rows.map((r) => r.alert_id)).size).toBe(2);
    expect(announced.map((a) => a.commandId)).toEqual(rows.map((r) => r.id));
    await observer.close();
  });
});
