import type { Queryable } from '../db.js';
import { assertTenant } from './validate.js';

export interface DeviceLatest {
  deviceId: string;
  /** Receive time of the last message (any kind). */
  lastSeen: string;
  /** Device time of the newest event. */
  lastTs: string;
  lastEventId: string;
  lastKind: string;
  /** Attributes of the newest event (mode, treatment, firmware...). */
  attributes: Record<string, unknown>;
  /** Per metric, the value with the greatest device time. */
  values: Record<string, { value: number; ts: string }>;
  /** Events stored for the device (duplicates not counted). */
  eventCount: number;
}

/** Latest values per device from device_state (kept by the worker, latest by device time). */
export async function latestValues(
  db: Queryable,
  q: { tenantId: string; deviceIds?: readonly string[] },
): Promise<DeviceLatest[]> {
  assertTenant(q.tenantId);
  const params: unknown[] = [q.tenantId];
  const filter = q.deviceIds ? ` AND device_id = ANY($${params.push([...q.deviceIds])}::text[])` : '';
  const { rows } = await db.query<{
    device_id: string;
    last_seen: Date;
    last_ts: Date;
    last_event_id: string;
    last_kind: string;
    last_attributes: Record<string, unknown>;
    latest: Record<string, { v: number; t: number }>;
    event_count: number;
  }>(
    `SELECT device_id, last_seen, last_ts, last_event_id, last_kind, last_attributes, latest, event_count
     FROM device_state WHERE tenant_id = $1${filter} ORDER BY device_id`,
    params,
  );
  return rows.map(toLatest);
}

export function toLatest(r: {
  device_id: string;
  last_seen: Date;
  last_ts: Date;
  last_event_id: string;
  last_kind: string;
  last_attributes: Record<string, unknown>;
  latest: Record<string, { v: number; t: number }>;
  event_count: number;
}): DeviceLatest {
  const values: DeviceLatest['values'] = {};
  for (const [metric, { v, t }] of Object.entries(r.latest ?? {})) {
    values[metric] = { value: v, ts: new Date(t).toISOString() };
  }
  return {
    deviceId: r.device_id,
    lastSeen: r.last_seen.toISOString(),
    lastTs: r.last_ts.toISOString(),
    lastEventId: r.last_event_id,
    lastKind: r.last_kind,
    attributes: r.last_attributes ?? {},
    values,
    eventCount: r.event_count,
  };
}
