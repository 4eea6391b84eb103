import { type Bus, createMemoryBus } from '@telemetry/bus';
import { loadConfig } from '@telemetry/config';
import { AlertV1, DevicePresenceV1, decodeMessage, encodeMessage, TaskV1 } from '@telemetry/contracts';
import { createLogger, createRegistry, silentLogger } from '@telemetry/observability';
import { createTestStore, type TestStore, uniqueName, waitFor } from '@telemetry/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRules, presetRule, type RulesService, type RulesTopics } from '../src/index.js';
import { insertRule, publishAccepted, seedWorld, type World } from './fixtures.js';

// Rules over the embedded store and the memory bus: publish resolves once the "rules" group
// committed, so the database can be asserted right after a publish.
let db: TestStore;
let bus: Bus;
let clock = Date.now();
const now = () => clock;
const config = loadConfig({ OFFLINE_CHECK_INTERVAL: '50ms', RULES_RELAY_INTERVAL: '1h' });
const running: RulesService[] = [];

beforeAll(async () => {
  db = await createTestStore('embedded');
  bus = createMemoryBus({ partitions: 2 });
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.close()));
});
afterAll(async () => {
  await bus?.close();
  await db?.drop();
});

interface Harness {
  world: World;
  topics: RulesTopics;
  alerts: AlertV1[];
  tasks: TaskV1[];
  start(withBus?: Bus): Promise<RulesService>;
  send(readings: Parameters<typeof publishAccepted>[3]): Promise<void>;
  alertRows(): Promise<
    {
      id: string;
      state: string;
      kind: string;
      value: number;
      historical: boolean;
      opened_at: Date;
      resolution: string | null;
    }[]
  >;
}

async function harness(opts: { expectedIntervalS?: number } = {}): Promise<Harness> {
  const world = await seedWorld(db.store.pool, opts);
  const topics = {
    accepted: uniqueName('accepted'),
    presence: uniqueName('presence'),
    alerts: uniqueName('alerts'),
    tasks: uniqueName('tasks'),
    deadLetter: uniqueName('dead'),
  };
  await bus.ensureTopics(Object.values(topics).map((name) => ({ name })));
  const alerts: AlertV1[] = [];
  const tasks: TaskV1[] = [];
  // A non-durable observer: it sees what the rules publish without holding publishes up.
  const observer = await bus.subscribe({
    groupId: uniqueName('observer'),
    topics: [topics.alerts, topics.tasks],
    durable: false,
    handler: async (batch) => {
      for (const m of batch.messages) {
        // the offline timer sees every tenant's devices: keep this test's own messages
        if (batch.topic === topics.alerts) {
          const alert = decodeMessage(AlertV1, m.value);
          if (alert.tenantId === world.tenantId) alerts.push(alert);
        } else {
          const task = decodeMessage(TaskV1, m.value);
          if (task.tenantId === world.tenantId) tasks.push(task);
        }
      }
    },
  });
  running.push({ close: () => observer.close() } as RulesService);
  const groupId = uniqueName('rules');
  return {
    world,
    topics,
    alerts,
    tasks,
    async start(withBus = bus) {
      const rules = createRules({
        bus: withBus,
        store: db.store,
        logger: process.env.TEST_LOG ? createLogger({ name: 'rules-test', level: 'debug' }) : silentLogger(),
        registry: createRegistry(),
        config,
        now,
        topics,
        groupId,
        maxLag: 0, // h.send resolves once the rules processed what it sent
      });
      await rules.start();
      running.push(rules);
      return rules;
    },
    send: (readings) => publishAccepted(bus, topics.accepted, world, readings),
    async alertRows() {
      const { rows } = await db.store.pool.query(
        'SELECT id, state, kind, value, historical, opened_at, resolution FROM alerts WHERE device_id = $1 ORDER BY created_at, opened_at',
        [world.deviceId],
      );
      return rows;
    },
  };
}

const at = (s: number) => clock - 3_600_000 + s * 1000 + 50 * 60_000; // 10 minutes ago + s seconds

describe('rules worker (embedded store, memory bus)', () => {
  it('raises exactly one alert for a value oscillating inside the hysteresis band, and auto-resolves it', async () => {
    const h = await harness();
    await insertRule(db.store.pool, h.world.tenantId, presetRule('low_level', { assetType: 'dispenser' }));
    await h.start();
    const levels = [40, 14, 16, 14, 19, 14.9, 18, 12];
    await h.send(levels.map((level, i) => ({ ts: at(i), metrics: { level } })));
    let rows = await h.alertRows();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ state: 'open', kind: 'threshold', value: 14, historical: false });
    expect(rows[0]?.opened_at.getTime()).toBe(at(1));

    await h.send([
      { ts: at(20), metrics: { level: 22 } },
      { ts: at(21), metrics: { level: 13 } },
    ]);
    rows = await h.alertRows();
    expect(rows.map((r) => [r.state, r.resolution])).toEqual([
      ['resolved', 'auto'],
      ['open', null],
    ]);
    const events = await db.store.pool.query('SELECT change FROM alert_events WHERE alert_id = $1 ORDER BY id', [
      rows[0]?.id,
    ]);
    expect(events.rows.map((e) => e.change)).toEqual(['opened', 'resolved']);
    await waitFor(() => h.alerts.length === 3);
    expect(h.alerts.map((a) => a.change)).toEqual(['opened', 'resolved', 'opened']);
    expect(h.alerts[0]).toMatchObject({
      tenantId: h.world.tenantId,
      deviceId: h.world.deviceId,
      assetId: h.world.dispenserId,
      metric: 'level',
      state: 'open',
    });
  });

  it('raises nothing for a breach shorter than the minimum duration', async () => {
    const h = await harness();
    await insertRule(
      db.store.pool,
      h.world.tenantId,
      presetRule('low_level', { deviceId: h.world.deviceId, minDurationS: 60 }),
    );
    await h.start();
    await h.send([
      { ts: at(0), metrics: { level: 10 } },
      { ts: at(30), metrics: { level: 9 } },
      { ts: at(59), metrics: { level: 8 } },
      { ts: at(61), metrics: { level: 50 } },
    ]);
    expect(await h.alertRows()).toEqual([]);
    const state = await db.store.pool.query('SELECT status FROM rule_state WHERE device_id = $1', [h.world.deviceId]);
    expect(state.rows).toEqual([{ status: 'normal' }]);
  });

  it('keeps a pending min-duration window across a worker restart and raises exactly one alert', async () => {
    const h = await harness();
    await insertRule(
      db.store.pool,
      h.world.tenantId,
      presetRule('low_level', { assetId: h.world.pantryId, minDurationS: 60 }),
    );
    const first = await h.start();
    await h.send([
      { ts: at(0), metrics: { level: 10 }, eventId: 'w1' },
      { ts: at(20), metrics: { level: 9 }, eventId: 'w2' },
    ]);
    const pending = await db.store.pool.query('SELECT status, breach_since FROM rule_state WHERE device_id = $1', [
      h.world.deviceId,
    ]);
    expect(pending.rows[0]).toMatchObject({ status: 'pending' });
    await first.close();

    await h.start();
    await h.send([
      { ts: at(40), metrics: { level: 8 }, eventId: 'w3' },
      { ts: at(70), metrics: { level: 7 }, eventId: 'w4' },
    ]);
    // redelivery of the whole window (a crash before the offset commit) changes nothing
    await h.send([0, 20, 40, 70].map((s, i) => ({ ts: at(s), metrics: { level: 7 }, eventId: `w${i + 1}` })));
    const rows = await h.alertRows();
    expect(rows).toHaveLength(1);
    expect(rows[0]?.opened_at.getTime()).toBe(at(70));
  });

  it('does not reopen an episode a person resolved while the breach lasts', async () => {
    const h = await harness();
    await insertRule(db.store.pool, h.world.tenantId, presetRule('low_level', { deviceId: h.world.deviceId }));
    await h.start();
    await h.send([{ ts: at(0), metrics: { level: 10 } }]);
    const [alert] = await h.alertRows();
    await db.store.pool.query(
      `UPDATE alerts SET state = 'resolved', resolved_at = now(), resolution = 'manual' WHERE id = $1`,
      [alert?.id],
    );
    await h.send([
      { ts: at(1), metrics: { level: 9 } },
      { ts: at(2), metrics: { level: 30 } },
    ]);
    expect((await h.alertRows()).map((r) => r.state)).toEqual(['resolved']);
    await h.send([{ ts: at(3), metrics: { level: 5 } }]);
    expect((await h.alertRows()).map((r) => r.state)).toEqual(['resolved', 'open']);
  });

  it('opens, resolves and reopens episodes within one batch, one alert each, announced in order (#23)', async () => {
    const h = await harness();
    await insertRule(db.store.pool, h.world.tenantId, presetRule('low_level', { deviceId: h.world.deviceId }));
    await h.start();
    await h.send([10, 30, 12, 30, 11].map((level, i) => ({ ts: at(i), metrics: { level } })));
    const rows = await h.alertRows();
    expect(rows.map((r) => [r.state, r.value])).toEqual([
      ['resolved', 10],
      ['resolved', 12],
      ['open', 11],
    ]);
    await waitFor(() => h.alerts.length === 5);
    expect(h.alerts.map((a) => [a.change, a.alertId])).toEqual([
      ['opened', rows[0]?.id],
      ['resolved', rows[0]?.id],
      ['opened', rows[1]?.id],
      ['resolved', rows[1]?.id],
      ['opened', rows[2]?.id],
    ]);
    const events = await db.store.pool.query(
      'SELECT count(*)::int AS n FROM alert_events WHERE alert_id = ANY($1::uuid[])',
      [rows.map((r) => r.id)],
    );
    expect(events.rows[0]?.n).toBe(5);
  });

  it('adopts an open alert its state does not know of (rule_state reset) instead of opening a second', async () => {
    const h = await harness();
    await insertRule(db.store.pool, h.world.tenantId, presetRule('low_level', { deviceId: h.world.deviceId }));
    await h.start();
    await h.send([{ ts: at(0), metrics: { level: 10 } }]);
    await db.store.pool.query(
      `UPDATE rule_state SET status = 'normal', alert_id = NULL, last_ts = NULL WHERE device_id = $1`,
      [h.world.deviceId],
    );
    // the bulk open finds the episode's alert there: the batch runs again one effect at a time
    await h.send([
      { ts: at(1), metrics: { level: 9 } },
      { ts: at(2), metrics: { level: 30 } },
    ]);
    const rows = await h.alertRows();
    expect(rows.map((r) => [r.state, r.resolution])).toEqual([['resolved', 'auto']]);
    await waitFor(() => h.alerts.length === 2);
    expect(h.alerts.map((a) => a.change)).toEqual(['opened', 'resolved']);
  });

  it('marks alerts raised from late or old data historical', async () => {
    const h = await harness();
    await insertRule(
      db.store.pool,
      h.world.tenantId,
      presetRule('low_battery', { deviceId: h.world.deviceId, minDurationS: 0 }),
    );
    await h.start();
    await h.send([{ ts: clock - 6 * 3_600_000, metrics: { battery: 5 } }]);
    const rows = await h.alertRows();
    expect(rows).toMatchObject([{ state: 'open', historical: true }]);
    await waitFor(() => h.alerts.length === 1);
    expect(h.alerts[0]?.historical).toBe(true);
  });

  it('raises an offline alert from the timer with no incoming data, and resolves it when data comes back', async () => {
    const h = await harness({ expectedIntervalS: 60 });
    await insertRule(db.store.pool, h.world.tenantId, {
      name: 'Offline',
      kind: 'offline',
      deviceId: h.world.deviceId,
      offlineFactor: 2,
      severity: 'critical',
    });
    const rules = await h.start();
    await h.send([{ ts: clock, receivedAt: clock, metrics: { level: 50 } }]);
    expect((await rules.checkOffline()).changed).toBe(0);

    clock += 121_000; // silent for more than 2 x 60 s; the timer (every 50 ms) notices
    const [alert] = await waitFor(async () => {
      const rows = await h.alertRows();
      return rows.length > 0 ? rows : undefined;
    });
    expect(alert).toMatchObject({ kind: 'offline', state: 'open', value: 121 });
    await rules.checkOffline();
    expect(await h.alertRows()).toHaveLength(1);

    await h.send([{ ts: clock, receivedAt: clock, metrics: { level: 49 } }]);
    expect((await h.alertRows()).map((r) => [r.state, r.resolution])).toEqual([['resolved', 'auto']]);
    await waitFor(() => h.alerts.length === 2);
    expect(h.alerts.map((a) => [a.kind, a.change])).toEqual([
      ['offline', 'opened'],
      ['offline', 'resolved'],
    ]);
  });

  it('takes presence as a sign of life: a reconnect resolves the offline alert', async () => {
    const h = await harness({ expectedIntervalS: 30 });
    await insertRule(db.store.pool, h.world.tenantId, {
      name: 'Offline',
      kind: 'offline',
      assetType: 'dispenser',
      offlineFactor: 3,
    });
    const rules = await h.start();
    await rules.checkOffline(); // first sight of the device: its grace period starts now
    clock += 91_000;
    await rules.checkOffline();
    expect((await h.alertRows()).map((r) => r.state)).toEqual(['open']);
    const presence = (status: 'online' | 'offline', reason: 'connect' | 'will') => ({
      key: h.world.deviceId,
      value: encodeMessage(DevicePresenceV1, {
        v: 1,
        tenantId: h.world.tenantId,
        deviceId: h.world.deviceId,
        status,
        reason,
        gatewayId: 'gw-1',
        at: new Date(clock).toISOString(),
      }),
    });
    await bus.publish(h.topics.presence, [presence('online', 'connect')]);
    expect((await h.alertRows()).map((r) => [r.state, r.resolution])).toEqual([['resolved', 'auto']]);
    clock += 60_000;
    await bus.publish(h.topics.presence, [presence('offline', 'will')]); // alive until now; silence counts from here
    clock += 60_000;
    await rules.checkOffline();
    expect(await h.alertRows()).toHaveLength(1);
    clock += 31_000;
    await rules.checkOffline();
    expect((await h.alertRows()).map((r) => r.state)).toEqual(['resolved', 'open']);
  });

  it('creates one maintenance task per service interval; finishing it resets the count', async () => {
    const h = await harness();
    const ruleId = await insertRule(db.store.pool, h.world.tenantId, {
      name: 'Ozone service',
      kind: 'maintenance',
      assetId: h.world.floorId,
      metric: 'counter',
      serviceInterval: 100,
      taskDueDays: 3,
    });
    await h.start();
    await h.send([1000, 1050, 1100, 1150].map((counter, i) => ({ ts: at(i), metrics: { counter } })));
    const tasks = () =>
      db.store.pool
        .query<{ id: string; status: string; trigger_value: number; due_at: Date; title: string }>(
          'SELECT id, status, trigger_value, due_at, title FROM tasks WHERE device_id = $1 ORDER BY created_at',
          [h.world.deviceId],
        )
        .then((r) => r.rows);
    let list = await tasks();
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({
      status: 'not_started',
      trigger_value: 1100,
      title: 'Ozone service on Coffee 1 (esp32 coffee 1)',
    });
    expect(list[0]?.due_at.getTime()).toBe(clock + 3 * 86_400_000);
    const assignees = await db.store.pool.query(
      'SELECT user_id FROM task_assignees WHERE task_id = $1 ORDER BY user_id',
      [list[0]?.id],
    );
    expect(assignees.rows.map((r) => r.user_id)).toEqual([h.world.managerId, h.world.operatorId].sort());

    // the API finishes the task and moves the baseline
    await db.store.pool.query(`UPDATE tasks SET status = 'finished', finished_at = now() WHERE id = $1`, [list[0]?.id]);
    await db.store.pool.query('UPDATE rule_state SET baseline = 1150 WHERE rule_id = $1 AND device_id = $2', [
      ruleId,
      h.world.deviceId,
    ]);

    await h.send([1200, 1249, 1250, 1300].map((counter, i) => ({ ts: at(10 + i), metrics: { counter } })));
    list = await tasks();
    expect(list.map((t) => [t.status, t.trigger_value])).toEqual([
      ['finished', 1100],
      ['not_started', 1250],
    ]);
    expect((await h.alertRows()).map((a) => [a.kind, a.state])).toEqual([
      ['maintenance', 'resolved'],
      ['maintenance', 'open'],
    ]);
    await waitFor(() => h.tasks.length === 2);
    expect(h.tasks[0]).toMatchObject({ change: 'created', status: 'not_started', assetId: h.world.dispenserId });
    expect(new Set(h.tasks[0]?.assignees)).toEqual(new Set([h.world.managerId, h.world.operatorId]));
  });

  it('publishes from the outbox what a failed publish after COMMIT left behind', async () => {
    const h = await harness();
    await insertRule(db.store.pool, h.world.tenantId, presetRule('low_level', { deviceId: h.world.deviceId }));
    let failures = 1;
    const flaky: Bus = {
      ...bus,
      publish: async (topic, messages) => {
        if (topic === h.topics.alerts && failures-- > 0) throw new Error('broker unreachable');
        return bus.publish(topic, messages);
      },
    };
    const rules = await h.start(flaky);
    await h.send([{ ts: at(0), metrics: { level: 3 } }]);
    expect(await h.alertRows()).toHaveLength(1);
    const left = await db.store.pool.query('SELECT topic FROM rules_outbox WHERE topic = $1', [h.topics.alerts]);
    expect(left.rows).toHaveLength(1);
    expect(await rules.relay({ graceMs: 0 })).toBeGreaterThanOrEqual(1);
    await waitFor(() => h.alerts.length === 1);
    expect(h.alerts[0]?.change).toBe('opened');
    expect((await db.store.pool.query('SELECT 1 FROM rules_outbox WHERE topic = $1', [h.topics.alerts])).rows).toEqual(
      [],
    );
  });
});
