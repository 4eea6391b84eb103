import type { Queryable } from './db.js';

/** The telemetry tables holding a tenant's (and device's) rows; telemetry_raw and device_events are the events. */
const TABLES = [
  'telemetry_raw',
  'device_events',
  'rollup_1m',
  'rollup_1h',
  'rollup_1d',
  'device_state',
  'telemetry_seen',
] as const;

/**
 * Deletes a tenant's telemetry, or one device's (`deviceId`): the tables have no foreign keys (hot
 * path), so a tenant or device that goes takes its rows explicitly. Run it in the caller's
 * transaction. Answers how many events (raw rows and device events) went.
 */
export async function purgeTelemetry(db: Queryable, tenantId: string, deviceId: string | null): Promise<number> {
  let total = 0;
  for (const table of TABLES) {
    const res = await db.query(
      `DELETE FROM ${table} WHERE tenant_id = $1 AND ($2::text IS NULL OR device_id = $2::text)`,
      [tenantId, deviceId],
    );
    if (table === 'telemetry_raw' || table === 'device_events') total += res.rowCount ?? 0;
  }
  return total;
}
