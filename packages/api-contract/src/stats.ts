import { z } from 'zod';
import { isoString } from './common.js';
import { Aggregation } from './telemetry.js';

const Granularity = z.enum(['minute', 'hour', 'day', 'month']);

/** One metric's values, a number per label (zeros filled); `total` is before cumulating or smoothing. */
const StatsSeries = z.object({ metric: z.string(), name: z.string(), data: z.array(z.number()), total: z.number() });

/** GET /api/telemetry/stats: usage per bucket of a time zone, optionally with the previous period. */
export const Stats = z.object({
  granularity: Granularity,
  tz: z.string(),
  start: isoString,
  end: isoString,
  agg: Aggregation,
  /** Bucket starts, ISO UTC. */
  labels: z.array(isoString),
  series: z.array(StatsSeries),
  /** With compare=true: the period of the same length before. */
  previous: z
    .object({ start: isoString, end: isoString, labels: z.array(isoString), series: z.array(StatsSeries) })
    .optional(),
});

const Named = { id: z.string(), name: z.string() };

/** GET /api/telemetry/stats-options: what the statistics can be filtered by. */
export const StatsOptions = z.object({
  outlets: z.array(z.object(Named)),
  machines: z.array(z.object({ ...Named, outletId: z.string().nullable() })),
  devices: z.array(z.object({ ...Named, machineId: z.string().nullable() })),
  granularities: z.array(Granularity),
});
