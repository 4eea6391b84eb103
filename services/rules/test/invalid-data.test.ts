import { createMemoryBus } from '@telemetry/bus';
import { loadConfig } from '@telemetry/config';
import { AlertV1, decodeMessage } from '@telemetry/contracts';
import { createRegistry, silentLogger } from '@telemetry/observability';
import { createTestStore, type TestStore, uniqueName } from '@telemetry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRules, type RulesService } from '../src/index.js';
import { insertRule, seedWorld, type World } from './fixtures.js';

// #14: rule kind "device sends invalid data": N rejections within a window open one alert, which
// resolves once a whole window passes without one.
let db: TestStore;
let rules: RulesService;
let world: World;
let clock = Date.now();
const alerts: AlertV1[] = [];
const bus = createMemoryBus({ partitions: 2 });
const topics = {
  accepted: uniqueName('accepted'),
  presence: uniqueName('presence'),
  alerts: uniqueName('alerts'),
  tasks: uniqueName('tasks'),
};

beforeAll(async () => {
  db = await createTestStore('embedded');
  world = await seedWorld(db.store.pool);
  rules = createRules({
    bus,
    store: db.store,
    logger: silentLogger(),
    registry: createRegistry(),
    // the timer is driven by hand below
    config: loadConfig({ OFFLINE_CHECK_INTERVAL: '1h', RULES_RELAY_INTERVAL: '1h' }),
    now: () => clock,
    topics,
  });
  await rules.start();
  const sub = await bus.subscribe({
    groupId: uniqueName('alerts'),
    topics: [topics.alerts],
    handler: async (b) => void alerts.push(...b.messages.map((m) => decodeMessage(AlertV1, m.value))),
  });
  await sub.ready;
});
afterAll(async () => {
  await rules?.close();
  await bus.close();
  await db?.drop();
});

async function reject(reason: string, at: number): Promise<void> {
  await db.store.pool.query(
    `INSERT INTO device_rejections (tenant_id, device_id, reason, detail, source, channel, excerpt, payload_bytes,
                                    received_at, dedupe_key)
     VALUES ($1, $2, $3, '', 'mqtt', 'x', '', 0, $4, gen_random_uuid()::text)`,
    [world.tenantId, world.deviceId, reason, new Date(at)],
  );
}

const rows = async () =>
  (
    await db.store.pool.query<{ state: string; kind: string; value: number; message: string }>(
      'SELECT state, kind, value, message FROM alerts WHERE tenant_id = $1 ORDER BY opened_at',
      [world.tenantId],
    )
  ).rows;

describe('rule kind invalid_data', () => {
  it('opens one alert at N rejections within the window and resolves after a window without any', async () => {
    await insertRule(db.store.pool, world.tenantId, {
      name: 'Sends invalid data',
      kind: 'invalid_data',
      deviceId: world.deviceId,
      threshold: 3,
      minDurationS: 300,
    });
    await reject('not_json', clock - 10_000);
    await reject('acl_denied', clock - 5_000);
    expect((await rules.checkInvalidData()).changed).toBe(0);
    expect(await rows()).toEqual([]);

    await reject('not_json', clock - 1_000);
    expect((await rules.checkInvalidData()).changed).toBe(1);
    // more rejections during the episode open nothing more
    await reject('not_json', clock);
    expect((await rules.checkInvalidData()).changed).toBe(0);
    const [open] = await rows();
    expect(open).toMatchObject({ state: 'open', kind: 'invalid_data', value: 3 });
    expect(open?.message).toMatch(/3 rejected messages in the last 5m \(not_json ×2, acl_denied ×1\)/);

    // still rejections inside the window: stays open
    clock += 200_000;
    expect((await rules.checkInvalidData()).changed).toBe(0);
    // a whole window without one: resolved
    clock += 301_000;
    expect((await rules.checkInvalidData()).changed).toBe(1);
    expect((await rows()).map((r) => r.state)).toEqual(['resolved']);
    expect(alerts.map((a) => [a.change, a.kind])).toEqual([
      ['opened', 'invalid_data'],
      ['resolved', 'invalid_data'],
    ]);
  });
});
