import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startApi, type TenantFixture } from './helpers.js';

const D1 = '71bf19cb-e7e7-4334-af31-5ebba56a655d';
const D2 = '1cf67335-0793-42ad-80f3-3156cabc9da9';
const D3 = '94324014-0b4c-4b7e-840c-ff82f5304b06';

/** The aggregator seed's (001) sample readings of customer 1, its own zone-less timestamps. */
const SEED_CSV = [
  'device_id,ts,reading',
  `${D1},2022-01-21T10:56:18.950901,0.63`,
  `${D1},2022-01-21T10:57:18.950901,0.9`,
  `${D1},2022-01-21T10:58:18.950901,0.9`,
  `${D1},2022-01-21T10:59:18.950901,0.32`,
  `${D2},2022-01-21T11:00:18.950901,0.96`,
  `${D2},2022-01-21T11:01:18.950901,0.45`,
  `${D2},2022-01-21T11:02:18.950901,0.55`,
  `${D1},2022-01-21T11:03:18.950901,0.94`,
  `${D3},2022-01-21T11:04:18.950901,0.61`,
  `${D1},2022-01-21T11:05:18.950901,0.09`,
].join('\n');

describe('bulk import of history (POST /api/telemetry/import)', () => {
  let h: Harness;
  let c1: TenantFixture;
  let c2: TenantFixture;

  beforeAll(async () => {
    h = await startApi();
    c1 = await h.tenant('Customer1');
    c2 = await h.tenant('Customer2');
    const pool = h.test.store.pool;
    for (const [id, tenant] of [
      [D1, c1.id],
      [D2, c1.id],
      [D3, c1.id],
      ['c2-dev-1', c2.id],
    ] as const) {
      await pool.query("INSERT INTO devices (id, tenant_id, state) VALUES ($1, $2, 'active')", [id, tenant]);
    }
    for (let i = 0; i < 10; i++) {
      await pool.query("INSERT INTO devices (id, tenant_id, state) VALUES ($1, $2, 'active')", [`bulk-${i}`, c2.id]);
    }
  });
  afterAll(async () => h?.close());

  const importCsv = (token: string, csv: string, query = '') =>
    h.req('post', `/api/telemetry/import${query}`, { token, body: csv, headers: { 'content-type': 'text/csv' } });
  const rollups = async (tenantId: string) =>
    (
      await h.test.store.pool.query(
        `SELECT device_id, metric, bucket, count, sum::text, min, max, first_value, last_value FROM rollup_1m
         WHERE tenant_id = $1 ORDER BY device_id, metric, bucket`,
        [tenantId],
      )
    ).rows;

  it('imports the seed’s 2022 rows past the 7-day late window; the seed’s query finds them; a re-import is all duplicates', async () => {
    const first = await importCsv(c1.users.manager.token, SEED_CSV);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ accepted: 10, duplicates: 0, conflicts: 0, rejected: 0, errors: [] });

    const agg = await h.req(
      'get',
      '/api/readings/aggregated/?start=2022-01-21T10:55:00Z&end=2022-01-21T11:10:00Z&aggregation_size_minutes=5',
      { token: c1.users.manager.token },
    );
    expect(agg.status).toBe(200);
    const means = Object.fromEntries(
      agg.body.data.map((d: { device_id: string; aggregated_values: { from: string; value: number }[] }) => [
        d.device_id,
        d.aggregated_values.map((v) => [v.from.slice(11, 16), Number(v.value.toFixed(6))]),
      ]),
    );
    expect(means).toEqual({
      [D2]: [['11:00', 0.653333]], // (0.96 + 0.45 + 0.55) / 3
      [D1]: [
        ['10:55', 0.6875], // (0.63 + 0.9 + 0.9 + 0.32) / 4
        ['11:00', 0.94],
        ['11:05', 0.09],
      ],
      [D3]: [['11:00', 0.61]],
    });

    const before = await rollups(c1.id);
    expect(before.reduce((n, r) => n + Number(r.count), 0)).toBe(10);
    const again = await importCsv(c1.users.admin.token, SEED_CSV);
    expect(again.body).toEqual({ accepted: 0, duplicates: 10, conflicts: 0, rejected: 0, errors: [] });
    expect(await rollups(c1.id)).toEqual(before);
    const raw = await h.test.store.pool.query('SELECT count(*)::int AS n FROM telemetry_raw WHERE tenant_id = $1', [
      c1.id,
    ]);
    expect(raw.rows[0].n).toBe(10);
  });

  it('rejects rows of another tenant’s device and invalid rows with their line; keeps an id conflict apart', async () => {
    const csv = [
      'device_id,ts,reading,event_id',
      `${D1},2022-02-01T00:00:00Z,1.5,e-1`,
      'c2-dev-1,2022-02-01T00:01:00Z,2,', // Customer2's device
      `${D1},not-a-time,3,`,
      `${D1},2022-02-01T00:02:00Z,abc,`,
      `${D1},2022-02-01T00:03:00Z,4.5,e-1`, // same id, other payload
    ].join('\n');
    const r = await importCsv(c1.users.manager.token, csv);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ accepted: 1, duplicates: 0, conflicts: 1, rejected: 3 });
    expect(r.body.errors.map((e: { line: number }) => e.line).sort()).toEqual([3, 4, 5]);
    expect(r.body.errors.find((e: { line: number }) => e.line === 3).reason).toMatch(/not a device of this tenant/);
    const stored = await h.test.store.pool.query(
      "SELECT count(*)::int AS n FROM telemetry_raw WHERE device_id = 'c2-dev-1'",
    );
    expect(stored.rows[0].n).toBe(0);
    const kept = await h.test.store.pool.query(
      "SELECT count(*)::int AS n FROM telemetry_conflicts WHERE tenant_id = $1 AND event_id = 'e-1'",
      [c1.id],
    );
    expect(kept.rows[0].n).toBe(1);
  });

  it('is for managers and admins: a viewer and an operator get 403; a platform admin names the tenant', async () => {
    for (const role of ['viewer', 'operator'] as const) {
      const r = await importCsv(c1.users[role].token, SEED_CSV);
      expect(r.status).toBe(403);
      expect(r.headers.get('content-type')).toContain('application/problem+json');
    }
    const root = await h.platformToken();
    expect((await importCsv(root, SEED_CSV)).status).toBe(400);
    const named = await importCsv(root, SEED_CSV, `?tenantId=${c1.id}`);
    expect(named.body).toMatchObject({ accepted: 0, duplicates: 10 });
    // a tenant user naming another tenant: not found
    expect((await importCsv(c1.users.admin.token, SEED_CSV, `?tenantId=${c2.id}`)).status).toBe(404);
    const wrongType = await h.req('post', '/api/telemetry/import', {
      token: c1.users.admin.token,
      body: { rows: [] },
    });
    expect(wrongType.status).toBe(400);
  });

  it('streams 100k NDJSON rows with progress lines, then the summary (measured)', { timeout: 240_000 }, async () => {
    const rows = 100_000;
    const start = Date.UTC(2021, 0, 1);
    const enc = new TextEncoder();
    let i = 0;
    // the body is produced as it is sent: the server never sees it whole
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (i >= rows) {
          controller.close();
          return;
        }
        let s = '';
        for (let n = 0; n < 2000 && i < rows; n++, i++) {
          const ts = new Date(start + Math.floor(i / 10) * 60_000).toISOString();
          s += `${JSON.stringify({ device_id: `bulk-${i % 10}`, ts, metrics: { reading: i % 97, t: (i % 13) / 4 } })}\n`;
        }
        controller.enqueue(enc.encode(s));
      },
    });
    const started = performance.now();
    const res = await fetch(`${h.url}/api/telemetry/import`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${c2.users.manager.token}`,
        'content-type': 'application/x-ndjson',
        accept: 'application/x-ndjson',
      },
      body,
      duplex: 'half',
    } as RequestInit);
    const text = await res.text();
    const seconds = (performance.now() - started) / 1000;
    expect(res.status).toBe(200);
    const lines = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const progress = lines.slice(0, -1).map((l) => l.progress.lines);
    expect(progress).toEqual(Array.from({ length: 10 }, (_, k) => (k + 1) * 10_000));
    expect(lines.at(-1)).toEqual({ accepted: rows, duplicates: 0, conflicts: 0, rejected: 0, errors: [] });
    const counted = await h.test.store.pool.query(
      "SELECT sum(count)::int AS n FROM rollup_1d WHERE tenant_id = $1 AND metric = 'reading'",
      [c2.id],
    );
    expect(counted.rows[0].n).toBe(rows);
    console.log(
      `import: ${rows} NDJSON rows (2 metrics) in ${seconds.toFixed(1)} s = ${Math.round(rows / seconds)} rows/s (embedded store)`,
    );
  });
});
