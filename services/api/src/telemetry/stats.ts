import { AppError } from '@telemetry/contracts';
import { type Aggregation, assertBucketCount, parseBucket, queryRollups } from '@telemetry/timeseries';
import type pg from 'pg';
import type { DeviceSelection } from './devices.js';

type Db = Pick<pg.Pool, 'query'>;

export type Granularity = 'minute' | 'hour' | 'day' | 'month';
const BUCKET: Record<Granularity, string> = { minute: '1m', hour: '1h', day: '1d', month: '1M' };
/** The ozone seed's usage: treatments per type (fromOzoneEvent / fromLegacyForm count 1 each). */
export const OZONE_USAGE_METRICS = ['treatments.basic', 'treatments.standard', 'treatments.premium'];
const MAX_LABELS = 10_000;

export interface StatsQuery {
  selection: DeviceSelection;
  granularity: Granularity;
  start: Date;
  end: Date;
  tz: string;
  metrics: string[];
  agg: Aggregation;
  cumulative: boolean;
  /** Trailing moving-average window in buckets; 0 = off. */
  ma: number;
  compare: boolean;
}

export interface StatsSeries {
  metric: string;
  name: string;
  data: number[];
  total: number;
}

export interface StatsResult {
  granularity: Granularity;
  tz: string;
  start: string;
  end: string;
  agg: Aggregation;
  labels: string[];
  series: StatsSeries[];
  previous?: { start: string; end: string; labels: string[]; series: StatsSeries[] };
}

/**
 * The ozone seed's statistics: per-bucket usage (minute/hour/day/month in a time zone), every
 * bucket of the range present (zeros filled), optionally cumulative and smoothed by a trailing
 * moving average, optionally with the previous period of the same length for comparison.
 */
export async function computeStats(db: Db, q: StatsQuery): Promise<StatsResult> {
  if (!(q.start < q.end))
    throw new AppError('VALIDATION_FAILED', 'start must be before end', { details: { field: 'start' } });
  assertStatsBuckets(q.granularity, q.start, q.end);
  const current = await period(db, q, q.start, q.end);
  const result: StatsResult = {
    granularity: q.granularity,
    tz: q.tz,
    start: q.start.toISOString(),
    end: q.end.toISOString(),
    agg: q.agg,
    ...current,
  };
  if (q.compare) {
    const span = q.end.getTime() - q.start.getTime();
    const prevStart = new Date(q.start.getTime() - span);
    result.previous = {
      start: prevStart.toISOString(),
      end: q.start.toISOString(),
      ...(await period(db, q, prevStart, q.start)),
    };
  }
  return result;
}

async function period(
  db: Db,
  q: StatsQuery,
  start: Date,
  end: Date,
): Promise<{ labels: string[]; series: StatsSeries[] }> {
  const labels = await bucketLabels(db, q.granularity, q.tz, start, end);
  const index = new Map(labels.map((l, i) => [l, i]));
  const data = new Map(q.metrics.map((m) => [m, new Array<number>(labels.length).fill(0)]));
  const empty = q.selection.deviceIds !== undefined && q.selection.deviceIds.length === 0;
  if (!empty && labels.length > 0) {
    const points = await queryRollups(db, {
      tenantId: q.selection.tenantId,
      // widen to whole buckets so the first label's bucket is complete
      from: labels[0] as string,
      to: end,
      bucket: BUCKET[q.granularity],
      timeZone: q.tz,
      deviceIds: q.selection.deviceIds,
      metrics: q.metrics,
      aggregations: [q.agg],
      groupBy: 'tenant',
    });
    for (const p of points) {
      const i = index.get(p.bucket);
      const series = data.get(p.metric);
      if (i === undefined || !series) continue;
      series[i] = p.values[q.agg] ?? 0;
    }
  }
  const series = q.metrics.map((metric) => {
    let values = data.get(metric) ?? [];
    const total = values.reduce((a, b) => a + b, 0);
    if (q.cumulative) values = runningSum(values);
    if (q.ma > 1) values = movingAverage(values, q.ma);
    return { metric, name: displayName(metric), data: values, total };
  });
  return { labels, series };
}

/**
 * The longest a bucket of each granularity can be in any zone: a local day is 23-25 h around DST
 * (26 h to be safe), an hour up to 90 min (Lord Howe's half-hour shift), a month 28-31 days.
 */
/** Refuses too many buckets in JS, before any SQL (#15): counting them in SQL first froze the embedded session for 30-45 s. */
export function assertStatsBuckets(g: Granularity, start: Date, end: Date): void {
  assertBucketCount(parseBucket(BUCKET[g]), start, end, { max: MAX_LABELS, field: 'granularity' });
}

/** Bucket starts from start to end in the zone: local midnights for day/month, so DST days fit. */
async function bucketLabels(db: Db, g: Granularity, tz: string, start: Date, end: Date): Promise<string[]> {
  const { rows } = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM generate_series(date_trunc($3, $1::timestamptz AT TIME ZONE $4),
       ($2::timestamptz AT TIME ZONE $4) - interval '1 microsecond', ('1 ' || $3)::interval) g`,
    [start, end, g, tz],
  );
  if ((rows[0]?.n ?? 0) > MAX_LABELS) {
    throw new AppError(
      'VALIDATION_FAILED',
      `more than ${MAX_LABELS} ${g} buckets: use a coarser granularity or a shorter range`,
      {
        details: { field: 'granularity' },
      },
    );
  }
  const labels = await db.query<{ b: Date }>(
    `SELECT (g AT TIME ZONE $4) AS b FROM generate_series(date_trunc($3, $1::timestamptz AT TIME ZONE $4),
       ($2::timestamptz AT TIME ZONE $4) - interval '1 microsecond', ('1 ' || $3)::interval) g ORDER BY 1`,
    [start, end, g, tz],
  );
  return labels.rows.map((r) => r.b.toISOString());
}

export function runningSum(values: number[]): number[] {
  let acc = 0;
  return values.map((v) => (acc += v));
}

/** Trailing mean over `window` buckets (fewer at the start). */
export function movingAverage(values: number[], window: number): number[] {
  let sum = 0;
  return values.map((v, i) => {
    sum += v;
    if (i >= window) sum -= values[i - window] as number;
    return sum / Math.min(i + 1, window);
  });
}

function displayName(metric: string): string {
  const m = /^treatments\.(\w+)$/.exec(metric);
  return m?.[1] ? m[1].toUpperCase() : metric;
}

export function bucketOf(g: Granularity): string {
  return BUCKET[g];
}
