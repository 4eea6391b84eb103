import { randomUUID } from 'node:crypto';
import { createTestStore, type TestStore } from '@telemetry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertSeen, purgeTelemetry, type StoredEvent, writeStored } from '../src/index.js';

const TABLES = ['telemetry_raw', 'rollup_1m', 'rollup_1h', 'rollup_1d', 'device_state', 'telemetry_seen'];

const ev = (tenantId: string, deviceId: string, ts: number): StoredEvent => ({
  tenantId,
  deviceId,
  eventId: randomUUID(),
  ts: new Date(ts).toISOString(),
  receivedAt: new Date(ts).toISOString(),
  kind: 'telemetry',
  source: 'mqtt',
  metrics: { temp: 20 },
  attributes: {},
  skewed: false,
  deviceTs: null,
  keepRaw: true,
});

/** A tenant and device that go take their rows in every telemetry table, and no one else's (tables without FKs). */
describe('purgeTelemetry', () => {
  let t: TestStore;
  const a = randomUUID();
  const b = randomUUID();
  const rows = async (tenantId: string, deviceId?: string) => {
    const counts: Record<string, number> = {};
    for (const table of TABLES) {
      const { rows } = await t.store.pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${table} WHERE tenant_id = $1 AND ($2::text IS NULL OR device_id = $2::text)`,
        [tenantId, deviceId ?? null],
      );
      counts[table] = rows[0]!.n;
    }
    return counts;
  };

  beforeAll(async () => {
    t = await createTestStore('embedded');
    await t.store.pool.query('INSERT INTO tenants (id, name) VALUES ($1, $2), ($3, $4)', [a, `a-${a}`, b, `b-${b}`]);
    const now = Date.now();
    const events = [ev(a, 'd1', now - 60_000), ev(a, 'd1', now), ev(a, 'd2', now), ev(b, 'd1', now)];
    await t.store.withTransaction(async (c) => {
      await insertSeen(
        c,
        events.map((e, i) => ({ ...e, srcPartition: 0, srcOffset: String(i), late: false })),
      );
      await writeStored(c, events);
    });
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('deletes one device’s rows, then a whole tenant’s, and counts the events that went', async () => {
    expect(Object.values(await rows(a, 'd1')).every((n) => n > 0)).toBe(true);
    expect(await t.store.withTransaction((c) => purgeTelemetry(c, a, 'd1'))).toBe(2);
    expect(Object.values(await rows(a, 'd1')).every((n) => n === 0)).toBe(true);
    expect((await rows(a, 'd2')).telemetry_raw).toBe(1);

    expect(await t.store.withTransaction((c) => purgeTelemetry(c, a, null))).toBe(1);
    expect(Object.values(await rows(a)).every((n) => n === 0)).toBe(true);
    // the other tenant's device of the same id keeps everything
    expect(Object.values(await rows(b, 'd1')).every((n) => n > 0)).toBe(true);
  });
});
