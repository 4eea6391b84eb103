import { AppError } from '@telemetry/contracts';
import { num, type Queryable } from '../db.js';
import { type Bucket, isUtcZone, parseBucket, sourceFor } from './buckets.js';
import { assertTenant, toDate } from './validate.js';

export const AGGREGATIONS = ['avg', 'min', 'max', 'sum', 'count', 'first', 'last', 'delta'] as const;
/**
 * avg/min/max/sum/count over the readings in the bucket; first/last by device time; delta is the
 * increase of a cumulative counter (see COUNTER_INCREASE).
 */
export type Aggregation = (typeof AGGREGATIONS)[number];

export interface RollupQuery {
  tenantId: string;
  /** Range of source buckets [from, to); align it to the bucket size for whole first/last buckets. */
  from: Date | string;
  to: Date | string;
  /** "5m", "1h", "1d", "1w", "1M"... see parseBucket. */
  bucket: string | Bucket;
  /** IANA zone of day/week/month buckets. Default UTC. */
  timeZone?: string;
  deviceIds?: readonly string[];
  metrics?: readonly string[];
  /** Default: avg, min, max, sum, count, last. */
  aggregations?: readonly Aggregation[];
  /** 'device' (default): one series per device and metric; 'tenant': the devices merged. */
  groupBy?: 'device' | 'tenant';
}

export interface RollupPoint {
  /** null when grouped by tenant. */
  deviceId: string | null;
  metric: string;
  /** Bucket start, ISO UTC. */
  bucket: string;
  values: Partial<Record<Aggregation, number | null>>;
}

const DEFAULT_AGGS: Aggregation[] = ['avg', 'min', 'max', 'sum', 'count', 'last'];

/**
 * Increase of a cumulative counter within a source bucket plus the step from the previous source
 * bucket. Without resets this is exactly last - first summed over the range plus the step from the
 * bucket before it. A value below the bucket's first (min < first) means a reset inside: the
 * increase is the value reached after it (last), plus (max - first) when the pre-reset peak is still
 * visible as max > last. A first below the previous bucket's last is a reset between buckets: the
 * step is first (counting from 0).
 */
const COUNTER_INCREASE = `
  CASE WHEN x.min >= x.first_value THEN x.last_value - x.first_value
       ELSE x.last_value + CASE WHEN x.max > x.last_value THEN x.max - x.first_value ELSE 0 END END
  + CASE WHEN x.prev_last IS NULL THEN 0
         WHEN x.first_value >= x.prev_last THEN x.first_value - x.prev_last
         ELSE x.first_value END`;

const COLUMNS = 'device_id, metric, bucket, count, sum, min, max, first_ts, first_value, last_ts, last_value';

/** Time series over the rollups: any range, bucket 1m..1M, any IANA zone, scoped by tenant. */
export async function queryRollups(db: Queryable, q: RollupQuery): Promise<RollupPoint[]> {
  assertTenant(q.tenantId);
  const from = toDate(q.from, 'from');
  const to = toDate(q.to, 'to');
  if (!(from < to))
    throw new AppError('VALIDATION_FAILED', '"from" must be before "to"', { details: { field: 'from' } });
  const bucket = typeof q.bucket === 'string' ? parseBucket(q.bucket) : q.bucket;
  const tz = q.timeZone ?? 'UTC';
  const aggs = q.aggregations?.length ? [...new Set(q.aggregations)] : DEFAULT_AGGS;
  for (const a of aggs) {
    if (!AGGREGATIONS.includes(a)) {
      throw new AppError('VALIDATION_FAILED', `aggregation "${a}" is not one of ${AGGREGATIONS.join(', ')}`);
    }
  }
  const wholeHours = bucket.kind === 'calendar' && !isUtcZone(tz) ? await wholeHourOffsets(db, tz, from, to) : true;
  const table = sourceFor(bucket, tz, wholeHours);
  const byDevice = (q.groupBy ?? 'device') === 'device';
  const withDelta = aggs.includes('delta');

  const params: unknown[] = [q.tenantId, from.toISOString(), to.toISOString()];
  const p = (v: unknown) => `$${params.push(v)}`;
  let filter = '';
  if (q.deviceIds) filter += ` AND device_id = ANY(${p([...q.deviceIds])}::text[])`;
  if (q.metrics) filter += ` AND metric = ANY(${p([...q.metrics])}::text[])`;
  const bucketExpr = bucketSql(bucket, p, tz);

  const src = `src AS (SELECT ${COLUMNS} FROM ${table} WHERE tenant_id = $1 AND bucket >= $2 AND bucket < $3${filter})`;
  const steps = `
    prev AS (
      SELECT k.device_id, k.metric, r.bucket, r.last_value
      FROM (SELECT DISTINCT device_id, metric FROM src) k
      CROSS JOIN LATERAL (
        SELECT bucket, last_value FROM ${table}
        WHERE tenant_id = $1 AND device_id = k.device_id AND metric = k.metric AND bucket < $2
        ORDER BY bucket DESC LIMIT 1) r
    ),
    steps AS (
      SELECT x.*, ${COUNTER_INCREASE} AS inc
      FROM (
        SELECT u.*, lag(u.last_value) OVER (PARTITION BY u.device_id, u.metric ORDER BY u.bucket) AS prev_last
        FROM (
          SELECT ${COLUMNS}, false AS is_prev FROM src
          UNION ALL
          SELECT device_id, metric, bucket, NULL, NULL, NULL, NULL, NULL, NULL, NULL, last_value, true FROM prev
        ) u
      ) x
      WHERE NOT x.is_prev
    )`;

  const { rows } = await db.query<{
    device_id: string | null;
    metric: string;
    b: Date;
    count: number;
    sum: string;
    min: number;
    max: number;
    avg: number | null;
    first: number;
    last: number;
    delta: number | null;
  }>(
    `WITH ${src}${withDelta ? `,${steps}` : ''}
     SELECT ${byDevice ? 'device_id' : 'NULL::text AS device_id'}, metric, ${bucketExpr} AS b,
            sum(count)::bigint AS count, sum(sum) AS sum, min(min) AS min, max(max) AS max,
            (sum(sum) / nullif(sum(count), 0))::float8 AS avg,
            (array_agg(first_value ORDER BY first_ts, first_value))[1] AS first,
            (array_agg(last_value ORDER BY last_ts DESC, last_value DESC))[1] AS last,
            ${withDelta ? 'sum(inc)' : 'NULL::float8'} AS delta
     FROM ${withDelta ? 'steps' : 'src'}
     GROUP BY 1, 2, 3
     ORDER BY 1, 2, 3`,
    params,
  );
  return rows.map((r) => {
    const all: Record<Aggregation, number | null> = {
      avg: num(r.avg),
      min: num(r.min),
      max: num(r.max),
      sum: num(r.sum),
      count: num(r.count),
      first: num(r.first),
      last: num(r.last),
      delta: num(r.delta),
    };
    const values: Partial<Record<Aggregation, number | null>> = {};
    for (const a of aggs) values[a] = all[a];
    return { deviceId: r.device_id, metric: r.metric, bucket: r.b.toISOString(), values };
  });
}

/**
 * Fixed buckets bin absolute time from the UTC epoch. Calendar buckets group the source buckets
 * by local wall-clock time (`bucket AT TIME ZONE tz`) and turn the local start back into an instant,
 * which is what makes a DST day 23 or 25 hours long.
 */
function bucketSql(bucket: Bucket, p: (v: unknown) => string, tz: string): string {
  if (bucket.kind === 'fixed') {
    return `date_bin(${p(`${bucket.ms / 1000} seconds`)}::interval, bucket, timestamptz '1970-01-01T00:00:00Z')`;
  }
  const zone = p(tz);
  if (bucket.unit === 'day' && bucket.count > 1) {
    // origin: a Monday, local midnight
    return `(date_bin(${p(`${bucket.count} days`)}::interval, bucket AT TIME ZONE ${zone}, timestamp '2000-01-03') AT TIME ZONE ${zone})`;
  }
  return `(date_trunc('${bucket.unit}', bucket AT TIME ZONE ${zone}) AT TIME ZONE ${zone})`;
}

const wholeHourCache = new Map<string, boolean>();

/** Whether the zone's UTC offset is whole hours at both ends of the range; rejects unknown zones. */
async function wholeHourOffsets(db: Queryable, tz: string, from: Date, to: Date): Promise<boolean> {
  const cacheKey = `${tz}|${from.getUTCFullYear()}|${to.getUTCFullYear()}`;
  const cached = wholeHourCache.get(cacheKey);
  if (cached !== undefined) return cached;
  try {
    const { rows } = await db.query<{ whole: boolean }>(
      `SELECT bool_and(mod(extract(epoch FROM (t AT TIME ZONE $1) - (t AT TIME ZONE 'UTC'))::numeric, 3600) = 0) AS whole
       FROM unnest(ARRAY[$2::timestamptz, $3::timestamptz]) AS t`,
      [tz, from.toISOString(), to.toISOString()],
    );
    const whole = rows[0]?.whole ?? true;
    if (wholeHourCache.size > 1000) wholeHourCache.clear();
    wholeHourCache.set(cacheKey, whole);
    return whole;
  } catch (err) {
    if ((err as { code?: string }).code === '22023') {
      throw new AppError('VALIDATION_FAILED', `time zone "${tz}" is not a known IANA zone`, {
        details: { field: 'timeZone' },
        cause: err,
      });
    }
    throw err;
  }
}
