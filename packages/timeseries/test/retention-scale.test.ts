import { randomUUID } from 'node:crypto';
import { createTestStore, type TestStore } from '@telemetry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyTelemetryPolicies } from '../src/index.js';

const DAY = 86_400_000;
const DEVICES = 300;
/** One reading per device every 4 minutes: 360 a day, so one day's batch per device is 360 rows. */
const STEP_MINUTES = 4;

// Issue 16: with 300 busy devices of one tenant and compressed chunks, the tenant's 10-day retention
// ran one DELETE that decompressed every device's batch straddling the cutoff (300 x 360 rows here,
// past TimescaleDB's 100,000 tuples per transaction) and failed every hour, so nothing was deleted.
describe.each(['embedded', 'postgres'] as const)('tenant retention at scale on %s', (backend) => {
  let t: TestStore;
  const short = randomUUID();
  const long = randomUUID();
  const now = Date.now();
  const cutoff = new Date(now - 10 * DAY);

  beforeAll(async () => {
    t = await createTestStore(backend);
    const { pool } = t.store;
    await pool.query(`INSERT INTO tenants (id, name, settings) VALUES ($1, $2, $3), ($4, $5, '{}')`, [
      short,
      `short-${short}`,
      { telemetry: { rawRetentionDays: 10 } },
      long,
      `long-${long}`,
    ]);
    // 300 devices from 11 to 9 days back (both sides of the 10-day cutoff), and a few of the other tenant
    const insert = (tenant: string, devices: number) =>
      pool.query(
        `INSERT INTO telemetry_raw (tenant_id, device_id, event_id, ts, received_at, kind, source, metrics)
         SELECT $1, 'dev-' || d, 'e-' || d || '-' || m, $2::timestamptz + make_interval(mins => m),
                $2::timestamptz + make_interval(mins => m), 'reading', 'mqtt', '{"v": 1}'
           FROM generate_series(1, $3::int) d, generate_series(0, 2 * 24 * 60, $4::int) m`,
        [tenant, new Date(now - 11 * DAY), devices, STEP_MINUTES],
      );
    await insert(short, DEVICES);
    await insert(long, 3);
    if (t.store.capabilities.timescale) {
      await pool.query(
        `SELECT count(compress_chunk(c)) FROM show_chunks('telemetry_raw', older_than => interval '3 days') c`,
      );
    }
  }, 240_000);

  afterAll(async () => {
    await t?.drop();
  });

  const count = async (tenant: string, older: boolean) => {
    const { rows } = await t.store.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM telemetry_raw WHERE tenant_id = $1 AND ts ${older ? '<' : '>='} $2`,
      [tenant, cutoff],
    );
    return rows[0]?.n ?? 0;
  };

  it('deletes every row of the tenant older than 10 days in bounded steps, and nothing else', async () => {
    const { pool, capabilities } = t.store;
    const before = { old: await count(short, true), kept: await count(short, false), other: await count(long, true) };
    expect(before.old).toBeGreaterThan(DEVICES * 300);
    if (capabilities.timescale) {
      const compressed = await pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM timescaledb_information.chunks
          WHERE hypertable_name = 'telemetry_raw' AND is_compressed AND range_start < $1 AND range_end > $1`,
        [cutoff],
      );
      expect(compressed.rows[0]?.n, 'the chunk holding the cutoff is compressed').toBe(1);
      // the one-statement delete of before still hits TimescaleDB's limit here (rolled back)
      await expect(
        t.store.withTransaction(async (c) => {
          await c.query('DELETE FROM telemetry_raw WHERE tenant_id = $1 AND ts < $2', [short, cutoff]);
          throw new Error('not reached: the limit did not apply');
        }),
      ).rejects.toThrow(/tuple decompression limit exceeded/);
    }

    const started = performance.now();
    const report = await applyTelemetryPolicies(pool, {
      timescale: capabilities.timescale,
      lateWindowMs: 3 * DAY,
      now: () => now,
    });
    console.log(
      `${backend}: ${before.old} rows past retention of ${DEVICES} devices deleted in ${Math.round(performance.now() - started)} ms`,
    );
    expect(report.failures).toEqual([]);
    expect(await count(short, true)).toBe(0);
    expect(await count(short, false)).toBe(before.kept);
    expect(await count(long, true)).toBe(before.other);
  }, 240_000);
});
