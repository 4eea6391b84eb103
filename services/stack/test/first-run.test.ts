import { createDeviceRegistry } from '@telemetry/registry';
import { createTestStore, type TestStore } from '@telemetry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareFirstRun, registerDemoFleet } from '../src/first-run.js';

describe('first start of the all-in-one stack (embedded store)', () => {
  let db: TestStore;
  beforeAll(async () => {
    db = await createTestStore('embedded');
  });
  afterAll(() => db?.drop());

  it('creates the admin and a demo tenant shaped like the seeds once, then changes nothing', async () => {
    const first = await prepareFirstRun(db.store, { seedDemo: true });
    expect(first.admin?.username).toBe('admin');
    expect(first.admin?.password.length).toBeGreaterThanOrEqual(12);
    expect(first.demoUsers.map((u) => u.role).sort()).toEqual(['manager', 'operator', 'viewer']);

    const q = async (sql: string) => (await db.store.pool.query(sql, [first.tenantId])).rows;
    const types = (await q('SELECT type FROM assets WHERE tenant_id = $1')).map((r) => r.type);
    for (const t of ['floor', 'pantry', 'dispenser', 'outlet', 'machine', 'line', 'meter']) expect(types).toContain(t);
    expect(await q("SELECT metric, threshold FROM rules WHERE tenant_id = $1 AND kind = 'threshold'")).toEqual([
      { metric: 'level', threshold: 20 },
    ]);
    expect((await q('SELECT email FROM notification_recipients WHERE tenant_id = $1')).map((r) => r.email)).toEqual([
      'facilities@demo.example',
    ]);

    const again = await prepareFirstRun(db.store, { seedDemo: true });
    expect(again.admin).toBeNull();
    expect(again.demoUsers).toEqual([]);
    expect(again.tenantId).toBe(first.tenantId);
  });

  it('pre-registers the simulated fleet by MAC on assets of its profiles, idempotently', async () => {
    const { tenantId } = await prepareFirstRun(db.store, { seedDemo: true });
    const registry = createDeviceRegistry({ pool: db.store.pool });
    const plan = { tenantId: tenantId as string, count: 8, macNamespace: 0x5d };
    const profiles = await registerDemoFleet(db.store, registry, plan);
    expect(profiles).toHaveLength(8);
    await registerDemoFleet(db.store, registry, plan);
    const { rows } = await db.store.pool.query(
      `SELECT d.device_type, a.type AS asset_type FROM devices d JOIN assets a ON a.id = d.asset_id
       WHERE d.tenant_id = $1 AND d.id LIKE 'sim-%'`,
      [tenantId],
    );
    expect(rows).toHaveLength(8);
    const expected: Record<string, string> = {
      dispenser: 'dispenser',
      ozone: 'machine',
      energy: 'meter',
      machine: 'machine',
    };
    for (const r of rows) expect(r.asset_type).toBe(expected[r.device_type]);
  });
});
