/**
 * Dashboard query latency over 30 days of rollups, through the REST API
 * (GET /api/telemetry/aggregate): one device, and the whole tenant merged (groupBy=tenant).
 * The 30 days are written straight into rollup_1h and rollup_1d of the bench tenant (PostgreSQL
 * backend only: the embedded store is the stack's one PGlite session).
 */
import pg from 'pg';
import type { ApiClient } from './provision.js';
import { type Percentiles, percentiles } from './stats.js';

export interface RollupLatency {
  query: string;
  requests: number;
  /** Series points in one answer. */
  points: number;
  ms: Percentiles;
}

const METRICS = ['temperature', 'humidity', 'counter'];
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** 30 days of 1h and 1d rollups for every device (3 metrics), ending at the start of this UTC day. */
export async function fillRollups(
  databaseUrl: string,
  tenantId: string,
  deviceIds: string[],
): Promise<{ rows: number; to: Date }> {
  const to = new Date(Math.floor(Date.now() / DAY) * DAY);
  const from = new Date(to.getTime() - 30 * DAY);
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 1, application_name: 'bench-rollups' });
  try {
    let rows = 0;
    for (const [table, step] of [
      ['rollup_1h', '1 hour'],
      ['rollup_1d', '1 day'],
    ] as const) {
      const r = await pool.query(
        `INSERT INTO ${table} (tenant_id, device_id, metric, bucket, count, sum, min, max, first_ts, first_value, last_ts, last_value)
         SELECT $1, d, m, b, 60, 60 * 21.5, 19.0, 24.0, b, 20.0, b + interval '59 minutes', 23.0
         FROM unnest($2::text[]) d, unnest($3::text[]) m,
              generate_series($4::timestamptz, $5::timestamptz - interval '${step}', interval '${step}') b
         ON CONFLICT DO NOTHING`,
        [tenantId, deviceIds, METRICS, from, to],
      );
      rows += r.rowCount ?? 0;
    }
    await pool.query('ANALYZE rollup_1h; ANALYZE rollup_1d');
    return { rows, to };
  } finally {
    await pool.end();
  }
}

export async function measureRollupQueries(
  api: ApiClient,
  o: { tenantId: string; deviceIds: string[]; to: Date; requests: number },
): Promise<RollupLatency[]> {
  const from = new Date(o.to.getTime() - 30 * DAY);
  const base = { tenantId: o.tenantId, from: from.toISOString(), to: o.to.toISOString() };
  const queries: { name: string; params: (i: number) => Record<string, string> }[] = [
    {
      name: 'one device, 30 d by hour',
      params: (i) => ({ ...base, bucket: '1h', deviceId: o.deviceIds[i % o.deviceIds.length] as string }),
    },
    {
      name: 'one device, 30 d by day',
      params: (i) => ({ ...base, bucket: '1d', deviceId: o.deviceIds[i % o.deviceIds.length] as string }),
    },
    {
      name: `tenant (${o.deviceIds.length} devices), 30 d by hour`,
      params: () => ({ ...base, bucket: '1h', groupBy: 'tenant' }),
    },
    {
      name: `tenant (${o.deviceIds.length} devices), 30 d by day`,
      params: () => ({ ...base, bucket: '1d', groupBy: 'tenant' }),
    },
  ];
  const out: RollupLatency[] = [];
  for (const q of queries) {
    const samples: number[] = [];
    let points = 0;
    for (let i = 0; i < o.requests + 3; i++) {
      const t0 = performance.now();
      const r = await api.request<{ items: unknown[] }>(
        'GET',
        `/api/telemetry/aggregate?${new URLSearchParams(q.params(i))}`,
      );
      const ms = performance.now() - t0;
      if (i >= 3) samples.push(ms); // the first ones warm the plan cache and the JIT
      points = r.items.length;
    }
    out.push({ query: q.name, requests: o.requests, points, ms: percentiles(samples) });
  }
  return out;
}
