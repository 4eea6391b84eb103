import { AppError } from '@telemetry/contracts';

/**
 * A bucket size: `Nm` minutes, `Nh` hours (fixed, absolute length, aligned to the UTC epoch), `Nd`
 * days, `1w` weeks (Monday) and `1M` / `1mo` months (calendar: local midnight in the query's time
 * zone, so a DST day has 23 or 25 hours and months have their real length).
 */
export type Bucket =
  | { kind: 'fixed'; ms: number; label: string }
  | { kind: 'calendar'; unit: 'day' | 'week' | 'month'; count: number; label: string };

export type RollupTable = 'rollup_1m' | 'rollup_1h' | 'rollup_1d';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** Longest fixed bucket; beyond a day buckets are calendar ones. */
const MAX_FIXED_MS = 24 * HOUR;

export function parseBucket(spec: string): Bucket {
  const m = /^(\d{1,4})\s*(m|min|h|d|w|M|mo)$/.exec(spec.trim());
  const n = m ? Number(m[1]) : 0;
  if (!m || n < 1) throw invalid(spec);
  switch (m[2]) {
    case 'm':
    case 'min':
      if (n * MINUTE > MAX_FIXED_MS) throw invalid(spec);
      return { kind: 'fixed', ms: n * MINUTE, label: `${n}m` };
    case 'h':
      if (n * HOUR > MAX_FIXED_MS) throw invalid(spec);
      // 24h is an absolute day; "1d" is the calendar day in the query's zone
      return { kind: 'fixed', ms: n * HOUR, label: `${n}h` };
    case 'd':
      if (n > 366) throw invalid(spec);
      return { kind: 'calendar', unit: 'day', count: n, label: `${n}d` };
    case 'w':
      if (n !== 1) throw invalid(spec);
      return { kind: 'calendar', unit: 'week', count: 1, label: '1w' };
    default:
      if (n !== 1) throw invalid(spec);
      return { kind: 'calendar', unit: 'month', count: 1, label: '1M' };
  }
}

/** The longest a calendar bucket can be: a day with a DST hour, a week of them, a 31-day month. */
const LONGEST_MS = { day: 25 * HOUR, week: 7 * 25 * HOUR, month: 31 * 24 * HOUR + HOUR } as const;

/**
 * Refuses, in JS and before any SQL, a range holding more than `max` buckets (#15). For calendar
 * buckets the range is divided by their longest possible length: a lower bound of the count, so
 * nothing valid is refused, and what passes has at most ~`max` x 1.1 buckets.
 */
export function assertBucketCount(bucket: Bucket, from: Date, to: Date, limit: { max: number; field?: string }): void {
  const span = to.getTime() - from.getTime();
  const longest = bucket.kind === 'fixed' ? bucket.ms : LONGEST_MS[bucket.unit] * bucket.count;
  if (span / longest <= limit.max) return;
  throw new AppError(
    'VALIDATION_FAILED',
    `more than ${limit.max} ${bucket.label} buckets: use a larger bucket or a shorter range`,
    { details: { field: limit.field ?? 'bucket' } },
  );
}

function invalid(spec: string): AppError {
  return new AppError(
    'VALIDATION_FAILED',
    `bucket "${spec}" is not one of Nm (1-1440), Nh (1-24), Nd (1-366), 1w, 1M`,
    { details: { field: 'bucket' } },
  );
}

/** Zones whose name says UTC: day and month buckets come straight from rollup_1d there. */
export function isUtcZone(tz: string): boolean {
  return /^(utc|etc\/utc|etc\/uct|uct|gmt|etc\/gmt|zulu|etc\/zulu|universal|etc\/universal)$/i.test(tz);
}

/**
 * Which rollup a bucket is built from. Fixed buckets: the coarsest rollup that divides them.
 * Calendar buckets: rollup_1d in UTC; rollup_1h where the zone's offset is whole hours (an hour
 * bucket then lies in one local day); rollup_1m otherwise (India +05:30, Nepal +05:45...).
 */
export function sourceFor(bucket: Bucket, tz: string, wholeHourOffset: boolean): RollupTable {
  if (bucket.kind === 'fixed') return bucket.ms % HOUR === 0 ? 'rollup_1h' : 'rollup_1m';
  if (isUtcZone(tz)) return 'rollup_1d';
  return wholeHourOffset ? 'rollup_1h' : 'rollup_1m';
}

/** The source rollup's bucket length, for aligning a query's range. */
export const SOURCE_MS: Record<RollupTable, number> = {
  rollup_1m: MINUTE,
  rollup_1h: HOUR,
  rollup_1d: 24 * HOUR,
};
