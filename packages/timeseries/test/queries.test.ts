import { randomUUID } from 'node:crypto';
import { createTestStore, type TestStore } from '@telemetry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  applyTelemetryPolicies,
  deviceSummary,
  latestValues,
  listRawEvents,
  queryRollups,
  type StoredEvent,
  writeStored,
} from '../src/index.js';

const HOUR = 3_600_000;

function ev(
  tenantId: string,
  deviceId: string,
  ts: number,
  metrics: Record<string, number>,
  extra: Partial<StoredEvent> = {},
): StoredEvent {
  return {
    tenantId,
    deviceId,
    eventId: randomUUID(),
    ts: new Date(ts).toISOString(),
    receivedAt: new Date(ts).toISOString(),
    kind: 'telemetry',
    source: 'mqtt',
    metrics,
    attributes: {},
    skewed: false,
    deviceTs: null,
    keepRaw: true,
    ...extra,
  };
}

/** Local calendar day of an instant in a zone, e.g. "2024-03-31". */
function localDay(ts: number, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(ts);
}

describe.each(['embedded', 'postgres'] as const)('timeseries queries on %s', (backend) => {
  let t: TestStore;
  const tenantA = randomUUID();
  const tenantB = randomUUID();

  beforeAll(async () => {
    t = await createTestStore(backend);
    await t.store.pool.query(`INSERT INTO tenants (id, name, settings) VALUES ($1, $2, $3), ($4, $5, '{}')`, [
      tenantA,
      `a-${tenantA}`,
      JSON.stringify({ telemetry: { rawRetentionDays: 1 } }),
      tenantB,
      `b-${tenantB}`,
    ]);
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('builds DST-correct local days and months from the hourly rollups', async () => {
    // one reading per hour, 2024-03-29 00:00Z .. 2024-04-02 00:00Z; Paris goes to summer time on 03-31
    const start = Date.UTC(2024, 2, 29);
    const events: StoredEvent[] = [];
    for (let h = 0; h < 96; h++) events.push(ev(tenantA, 'dst-1', start + h * HOUR + 60_000, { temp: h }));
    await t.store.withTransaction((c) => writeStored(c, events));

    const tz = 'Europe/Paris';
    const from = new Date('2024-03-29T23:00:00Z'); // local midnight 03-30
    const to = new Date('2024-04-01T22:00:00Z'); // local midnight 04-02 (summer time)
    const days = await queryRollups(t.store.pool, {
      tenantId: tenantA,
      from,
      to,
      bucket: '1d',
      timeZone: tz,
      aggregations: ['count', 'sum', 'avg'],
    });

    const expected = new Map<string, { count: number; sum: number }>();
    for (const e of events) {
      const ms = Date.parse(e.ts);
      if (ms < from.getTime() || ms >= to.getTime()) continue;
      const day = localDay(ms, tz);
      const cur = expected.get(day) ?? { count: 0, sum: 0 };
      expected.set(day, { count: cur.count + 1, sum: cur.sum + (e.metrics.temp as number) });
    }
    expect(days.map((d) => localDay(Date.parse(d.bucket), tz))).toEqual([...expected.keys()]);
    expect(days.map((d) => d.bucket)).toEqual([
      '2024-03-29T23:00:00.000Z',
      '2024-03-30T23:00:00.000Z',
      '2024-03-31T22:00:00.000Z',
    ]);
    expect(days.map((d) => d.values.count)).toEqual([24, 23, 24]);
    expect(days.map((d) => d.values.sum)).toEqual([...expected.values()].map((v) => v.sum));
    expect(days.map((d) => d.values.avg)).toEqual([...expected.values()].map((v) => v.sum / v.count));

    const utc = await queryRollups(t.store.pool, {
      tenantId: tenantA,
      from: new Date(start),
      to: new Date(start + 96 * HOUR),
      bucket: '1d',
      aggregations: ['count', 'min', 'max', 'first', 'last'],
    });
    expect(utc.map((d) => d.values)).toEqual(
      [0, 1, 2, 3].map((i) => ({ count: 24, min: 24 * i, max: 24 * i + 23, first: 24 * i, last: 24 * i + 23 })),
    );

    const month = await queryRollups(t.store.pool, {
      tenantId: tenantA,
      from: new Date(start),
      to: new Date(start + 96 * HOUR),
      bucket: '1M',
      timeZone: tz,
      aggregations: ['count'],
    });
    // local March ends 2024-03-31T22:00Z
    expect(month.map((m) => [m.bucket, m.values.count])).toEqual([
      ['2024-02-29T23:00:00.000Z', 70],
      ['2024-03-31T22:00:00.000Z', 26],
    ]);

    // +05:30 has no whole-hour offset: days come from the minute rollups
    const kolkata = await queryRollups(t.store.pool, {
      tenantId: tenantA,
      from: new Date(start),
      to: new Date(start + 96 * HOUR),
      bucket: '1d',
      timeZone: 'Asia/Kolkata',
      aggregations: ['count'],
    });
    expect(kolkata[0]?.bucket).toBe('2024-03-28T18:30:00.000Z');
    expect(kolkata.reduce((n, d) => n + (d.values.count ?? 0), 0)).toBe(96);
    await expect(
      queryRollups(t.store.pool, { tenantId: tenantA, from, to, bucket: '1d', timeZone: 'Mars/Olympus' }),
    ).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
  });

  it('computes counter deltas with the step from the previous bucket and across resets', async () => {
    const t0 = Date.UTC(2024, 5, 1, 10);
    const readings: [number, number][] = [
      [0, 100],
      [20, 105],
      [40, 110],
      [70, 112],
      [90, 3], // reset
      [110, 8],
      [130, 10],
    ];
    await t.store.withTransaction((c) =>
      writeStored(
        c,
        readings.map(([min, v]) => ev(tenantA, 'ozone-1', t0 + min * 60_000, { counter: v }, { kind: 'event' })),
      ),
    );
    const hourly = await queryRollups(t.store.pool, {
      tenantId: tenantA,
      deviceIds: ['ozone-1'],
      from: new Date(t0),
      to: new Date(t0 + 3 * HOUR),
      bucket: '1h',
      aggregations: ['delta', 'first', 'last'],
    });
    expect(hourly.map((h) => h.values.delta)).toEqual([10, 10, 2]);
    const fromSecondHour = await queryRollups(t.store.pool, {
      tenantId: tenantA,
      deviceIds: ['ozone-1'],
      from: new Date(t0 + HOUR),
      to: new Date(t0 + 3 * HOUR),
      bucket: '1h',
      aggregations: ['delta'],
    });
    expect(fromSecondHour.map((h) => h.values.delta)).toEqual([10, 2]);
    const fiveMin = await queryRollups(t.store.pool, {
      tenantId: tenantA,
      deviceIds: ['ozone-1'],
      from: new Date(t0),
      to: new Date(t0 + 3 * HOUR),
      bucket: '5m',
      aggregations: ['delta'],
    });
    expect(fiveMin.reduce((s, p) => s + (p.values.delta ?? 0), 0)).toBe(22);
  });

  it('lists raw events newest first by keyset, without status when asked, and never across tenants', async () => {
    const t0 = Date.UTC(2024, 6, 1);
    const events = [
      ev(tenantA, 'raw-1', t0 + 1000, { v: 1 }),
      ev(tenantA, 'raw-1', t0 + 2000, { v: 2 }, { kind: 'event', attributes: { event: 'treatment' } }),
      ev(tenantA, 'raw-1', t0 + 3000, {}, { kind: 'status' }),
      ev(tenantA, 'raw-1', t0 + 4000, { v: 4 }),
      ev(tenantA, 'raw-1', t0 + 4000, { v: 5 }),
      ev(tenantB, 'raw-1', t0 + 5000, { v: 9 }),
    ];
    await t.store.withTransaction((c) => writeStored(c, events));
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await listRawEvents(t.store.pool, { tenantId: tenantA, deviceId: 'raw-1', limit: 2, cursor });
      seen.push(...page.items.map((i) => i.eventId));
      cursor = page.nextCursor;
    } while (cursor);
    const sortedA = events
      .slice(0, 5)
      .sort((a, b) => b.ts.localeCompare(a.ts) || b.eventId.localeCompare(a.eventId))
      .map((e) => e.eventId);
    expect(seen).toEqual(sortedA);

    const noStatus = await listRawEvents(t.store.pool, {
      tenantId: tenantA,
      deviceId: 'raw-1',
      excludeStatus: true,
      limit: 10,
    });
    expect(noStatus.items.map((i) => i.kind).sort()).toEqual(['event', 'telemetry', 'telemetry', 'telemetry']);
    const b = await listRawEvents(t.store.pool, { tenantId: tenantB, limit: 10 });
    expect(b.items.map((i) => i.metrics)).toEqual([{ v: 9 }]);

    const [latest] = await latestValues(t.store.pool, { tenantId: tenantA, deviceIds: ['raw-1'] });
    expect(latest?.values.v).toEqual({ value: 5, ts: new Date(t0 + 4000).toISOString() });
    expect(latest?.eventCount).toBe(5);
    const summary = await deviceSummary(t.store.pool, {
      tenantId: tenantA,
      deviceId: 'raw-1',
      days: 1,
      now: () => t0 + HOUR,
    });
    expect(summary.metrics.v).toMatchObject({ count: 4, sum: 12, min: 1, max: 5, first: 1, last: 5, avg: 3 });
    expect(await latestValues(t.store.pool, { tenantId: randomUUID() })).toEqual([]);
  });

  it('applies per-tenant retention, and TimescaleDB policies where it exists', async () => {
    const old = Date.now() - 3 * 24 * HOUR;
    await t.store.withTransaction((c) =>
      writeStored(c, [ev(tenantA, 'ret-1', old, { x: 1 }), ev(tenantB, 'ret-1', old, { x: 1 })]),
    );
    const report = await applyTelemetryPolicies(t.store.pool, {
      timescale: t.store.capabilities.timescale,
      lateWindowMs: 7 * 24 * HOUR,
      runJobsNow: backend === 'embedded',
    });
    const { rows } = await t.store.pool.query<{ tenant_id: string }>(
      `SELECT tenant_id FROM telemetry_raw WHERE device_id = 'ret-1'`,
    );
    expect(rows.map((r) => r.tenant_id)).toEqual([tenantB]);
    expect(report.deleted.telemetry_raw).toBeGreaterThan(0);
    if (backend === 'embedded') {
      expect(t.store.capabilities.timescale).toBe(true);
      expect(report.hypertables.telemetry_raw).toEqual({ dropAfterDays: 90, compressAfterDays: 7 });
      const jobs = await t.store.pool.query<{ proc_name: string; hypertable_name: string }>(
        `SELECT proc_name, hypertable_name FROM timescaledb_information.jobs WHERE hypertable_name IN ('telemetry_raw', 'device_events') ORDER BY 2, 1`,
      );
      expect(jobs.rows.map((j) => `${j.hypertable_name}:${j.proc_name}`)).toEqual([
        'device_events:policy_compression',
        'device_events:policy_retention',
        'telemetry_raw:policy_compression',
        'telemetry_raw:policy_retention',
      ]);
    } else {
      expect(report.hypertables).toEqual({});
    }
  });
});
