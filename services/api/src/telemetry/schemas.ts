import { AppError } from '@telemetry/contracts';
import { AGGREGATIONS } from '@telemetry/timeseries';
import { z } from 'zod';
import { deviceId, id, isoTime, pageQuery, qBool, qList, timeZone } from '../http/validation.js';
import { assertStatsBuckets, type Granularity } from './stats.js';

const DAY = 86_400_000;

/** Range from from/to, or the last `days` days (default `defaultDays`). */
export function range(
  q: { from?: Date; to?: Date; days?: number },
  now: number,
  defaultDays: number,
): { from: Date; to: Date } {
  const to = q.to ?? new Date(now);
  const from = q.from ?? new Date(to.getTime() - (q.days ?? defaultDays) * DAY);
  if (!(from < to))
    throw new AppError('VALIDATION_FAILED', '"from" must be before "to"', { details: { field: 'from' } });
  return { from, to };
}

/** Query schemas of the telemetry reads, shared by the canonical routes and the ozone seed's (compat/ozone). */
export const EventsQuery = z.object({
  ...pageQuery,
  from: isoTime.optional(),
  to: isoTime.optional(),
  days: z.coerce.number().positive().max(3660).optional(),
  /** Leave out heartbeats/status messages. */
  excludeStatus: qBool.optional(),
  kind: qList(z.enum(['telemetry', 'event', 'status'])).optional(),
});
export type EventsInput = z.output<typeof EventsQuery>;

export const AggregateQuery = z.object({
  deviceId: qList(deviceId).optional(),
  assetId: qList(id).optional(),
  metric: qList(z.string().min(1).max(64)).optional(),
  from: isoTime,
  to: isoTime,
  /** 1m..1440m, 1h..24h, 1d..366d, 1w, 1M (calendar buckets in tz). */
  bucket: z.string().max(8).default('1h'),
  agg: qList(z.enum(AGGREGATIONS)).optional(),
  tz: timeZone.default('UTC'),
  groupBy: z.enum(['device', 'tenant']).default('device'),
  tenantId: id.optional(),
});
export type AggregateInput = z.output<typeof AggregateQuery>;

/** The window and shape of a stats query: the same in the canonical route and the ozone seed's snake_case ones. */
export const statsWindow = {
  granularity: z.enum(['minute', 'hour', 'day', 'month']).default('day'),
  start: isoTime.optional(),
  end: isoTime.optional(),
  days: z.coerce.number().positive().max(3660).default(7),
  cumulative: qBool.default(false),
  /** Moving-average window in buckets; 0 = off. */
  ma: z.coerce.number().int().min(0).max(365).default(0),
  compare: qBool.default(false),
};

/**
 * The bucket count of a stats window, checked while the query is parsed: before the session query
 * of the caller (route-table.ts), so a window that cannot be answered costs no database time (#15).
 */
export function refineStatsWindow(
  q: { granularity: Granularity; start?: Date; end?: Date; days: number },
  ctx: z.RefinementCtx,
): void {
  try {
    const { from, to } = range({ from: q.start, to: q.end, days: q.days }, Date.now(), 7);
    assertStatsBuckets(q.granularity, from, to);
  } catch (err) {
    // zod runs this also when a field failed already (its value is then not a Date): that issue stands
    if (err instanceof AppError) ctx.addIssue({ code: 'custom', path: ['granularity'], message: err.message });
  }
}

export const StatsQuerySchema = z
  .object({
    outletId: id.optional(),
    machineId: id.optional(),
    assetId: id.optional(),
    deviceId: deviceId.optional(),
    ...statsWindow,
    metric: qList(z.string().min(1).max(64)).optional(),
    agg: z.enum(AGGREGATIONS).default('sum'),
    tz: timeZone.optional(),
    tenantId: id.optional(),
  })
  .superRefine(refineStatsWindow);
export type StatsInput = z.output<typeof StatsQuerySchema>;

export const ExportQuery = z.object({
  deviceId: qList(deviceId).optional(),
  from: isoTime.optional(),
  to: isoTime.optional(),
  days: z.coerce.number().positive().max(3660).optional(),
  bucket: z.string().max(8).optional(),
  tz: timeZone.default('UTC'),
  excludeStatus: qBool.optional(),
  tenantId: id.optional(),
});
export type ExportInput = z.output<typeof ExportQuery>;
