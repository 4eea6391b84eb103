import type { SeriesPoint } from '../api/types.js';

/** One metric's buckets as uPlot columns: x in seconds, then avg, min, max. */
export interface Columns {
  x: number[];
  avg: (number | null)[];
  min: (number | null)[];
  max: (number | null)[];
  count: number[];
}

export function emptyColumns(): Columns {
  return { x: [], avg: [], min: [], max: [], count: [] };
}

export function toColumns(points: Pick<SeriesPoint, 'bucket' | 'metric' | 'values'>[], metric: string): Columns {
  const c = emptyColumns();
  const rows = points.filter((p) => p.metric === metric).sort((a, b) => a.bucket.localeCompare(b.bucket));
  for (const p of rows) {
    c.x.push(Date.parse(p.bucket) / 1000);
    const avg = p.values.avg ?? p.values.last ?? null;
    c.avg.push(avg);
    c.min.push(p.values.min ?? avg);
    c.max.push(p.values.max ?? avg);
    c.count.push(p.values.count ?? 1);
  }
  return c;
}

/**
 * Folds a live reading into the columns without a refetch: into its bucket when that bucket is
 * already drawn (running mean, min, max), as a new last bucket when it is newer. Older readings
 * outside the drawn buckets are left to the next load.
 */
export function addReading(c: Columns, tsMs: number, value: number, bucketMs: number): Columns {
  const start = Math.floor(tsMs / bucketMs) * bucketMs;
  const x = start / 1000;
  const last = c.x.length - 1;
  const i = c.x.lastIndexOf(x);
  if (i >= 0) {
    const n = c.count[i] ?? 1;
    const prevAvg = c.avg[i] ?? value;
    const next: Columns = {
      x: c.x,
      avg: c.avg.slice(),
      min: c.min.slice(),
      max: c.max.slice(),
      count: c.count.slice(),
    };
    next.avg[i] = (prevAvg * n + value) / (n + 1);
    next.min[i] = Math.min(c.min[i] ?? value, value);
    next.max[i] = Math.max(c.max[i] ?? value, value);
    next.count[i] = n + 1;
    return next;
  }
  if (last < 0 || x > (c.x[last] ?? 0)) {
    return {
      x: [...c.x, x],
      avg: [...c.avg, value],
      min: [...c.min, value],
      max: [...c.max, value],
      count: [...c.count, 1],
    };
  }
  return c;
}
