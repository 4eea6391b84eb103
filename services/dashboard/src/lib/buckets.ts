/**
 * Which rollup bucket to ask for, from the visible time range: enough points to fill the chart's
 * width, never more. Charts never load raw rows: the smallest bucket is the 1-minute rollup, so
 * zooming from a year down to a minute stays a few hundred points per request.
 */
export interface Bucket {
  /** The API's bucket parameter. */
  id: string;
  ms: number;
  label: string;
}

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

export const BUCKETS: readonly Bucket[] = [
  { id: '1m', ms: MIN, label: '1 minute' },
  { id: '5m', ms: 5 * MIN, label: '5 minutes' },
  { id: '15m', ms: 15 * MIN, label: '15 minutes' },
  { id: '1h', ms: HOUR, label: '1 hour' },
  { id: '6h', ms: 6 * HOUR, label: '6 hours' },
  { id: '1d', ms: DAY, label: '1 day' },
  { id: '1w', ms: 7 * DAY, label: '1 week' },
  { id: '1M', ms: 30 * DAY, label: '1 month' },
];

/** The smallest bucket giving at most `maxPoints` points over [from, to]. */
export function pickBucket(fromMs: number, toMs: number, maxPoints: number): Bucket {
  const span = Math.max(0, toMs - fromMs);
  const points = Math.max(10, Math.floor(maxPoints));
  for (const b of BUCKETS) {
    if (span / b.ms <= points) return b;
  }
  return BUCKETS[BUCKETS.length - 1]!;
}

/** Points budget for a chart of this width: about one point per 2 CSS pixels. */
export function pointsForWidth(widthPx: number): number {
  return Math.min(1500, Math.max(60, Math.round(widthPx / 2)));
}

export interface RangePreset {
  id: string;
  label: string;
  ms: number;
}

export const RANGE_PRESETS: readonly RangePreset[] = [
  { id: '15m', label: '15 min', ms: 15 * MIN },
  { id: '1h', label: '1 hour', ms: HOUR },
  { id: '24h', label: '24 hours', ms: DAY },
  { id: '7d', label: '7 days', ms: 7 * DAY },
  { id: '30d', label: '30 days', ms: 30 * DAY },
  { id: '1y', label: '1 year', ms: 365 * DAY },
];
