import { AppError } from '@telemetry/contracts';
import { num, type Queryable } from '../db.js';
import { type DeviceLatest, toLatest } from './latest.js';
import { assertTenant } from './validate.js';

export interface MetricSummary {
  count: number;
  sum: number;
  min: number;
  max: number;
  avg: number | null;
  first: number;
  last: number;
}

export interface DeviceSummary {
  deviceId: string;
  /** null before the device's first stored event. */
  latest: DeviceLatest | null;
  /** The window the metric figures cover: whole UTC hours, [from, to). */
  window: { from: string; to: string };
  metrics: Record<string, MetricSummary>;
}

/**
 * One device at a glance (the ozone seed's telemetry summary): its latest state and, per metric,
 * count/sum/min/max/avg/first/last over the last `days` days, from the hourly rollups.
 */
export async function deviceSummary(
  db: Queryable,
  q: { tenantId: string; deviceId: string; days?: number; now?: () => number },
): Promise<DeviceSummary> {
  assertTenant(q.tenantId);
  const days = q.days ?? 7;
  if (!Number.isFinite(days) || days <= 0 || days > 3660) {
    throw new AppError('VALIDATION_FAILED', 'days must be a positive number up to 3660', {
      details: { field: 'days' },
    });
  }
  const hour = 3_600_000;
  const to = new Date(Math.floor((q.now ?? Date.now)() / hour) * hour + hour);
  const from = new Date(to.getTime() - Math.ceil((days * 24 * hour) / hour) * hour);

  const [state, metrics] = await Promise.all([
    db.query(
      `SELECT device_id, last_seen, last_ts, last_event_id, last_kind, last_attributes, latest, event_count
       FROM device_state WHERE tenant_id = $1 AND device_id = $2`,
      [q.tenantId, q.deviceId],
    ),
    db.query<{
      metric: string;
      count: number;
      sum: string;
      min: number;
      max: number;
      first: number;
      last: number;
      avg: number | null;
    }>(
      `SELECT metric, sum(count)::bigint AS count, sum(sum) AS sum, min(min) AS min, max(max) AS max,
              (sum(sum) / nullif(sum(count), 0))::float8 AS avg,
              (array_agg(first_value ORDER BY first_ts, first_value))[1] AS first,
              (array_agg(last_value ORDER BY last_ts DESC, last_value DESC))[1] AS last
       FROM rollup_1h WHERE tenant_id = $1 AND device_id = $2 AND bucket >= $3 AND bucket < $4
       GROUP BY metric ORDER BY metric`,
      [q.tenantId, q.deviceId, from.toISOString(), to.toISOString()],
    ),
  ]);
  const out: Record<string, MetricSummary> = {};
  for (const r of metrics.rows) {
    out[r.metric] = {
      count: r.count,
      sum: Number(r.sum),
      min: r.min,
      max: r.max,
      avg: num(r.avg),
      first: r.first,
      last: r.last,
    };
  }
  const row = state.rows[0];
  return {
    deviceId: q.deviceId,
    latest: row ? toLatest(row as Parameters<typeof toLatest>[0]) : null,
    window: { from: from.toISOString(), to: to.toISOString() },
    metrics: out,
  };
}
