import type pg from 'pg';
import type { RejectionRow } from './excerpt.js';

type Db = Pick<pg.ClientBase, 'query'>;

/** Bounds of what is kept (the counts in device_rejection_counts are never trimmed). */
export interface RejectionLimits {
  /** Newest rows kept per device. */
  perDevice: number;
  /** Newest rows kept per tenant. */
  perTenant: number;
}

export const DEFAULT_LIMITS: RejectionLimits = { perDevice: 1_000, perTenant: 100_000 };

/** Default retention of the rows (tenants.settings.rejections.retentionDays overrides it). */
export const DEFAULT_RETENTION_DAYS = 30;

/**
 * Inserts the rows not kept yet (dedupe key), adds the new ones to the counts, and trims the
 * devices and tenants touched to their bounds. One transaction per batch (the caller's). Rows of a
 * tenant that no longer exists are skipped. Returns the rows inserted, by reason.
 */
export async function recordRejections(
  db: Db,
  rows: RejectionRow[],
  limits: RejectionLimits = DEFAULT_LIMITS,
): Promise<{ reason: string; source: string }[]> {
  if (rows.length === 0) return [];
  const { rows: inserted } = await db.query<{
    tenant_id: string;
    device_id: string | null;
    reason: string;
    source: string;
  }>(
    `WITH v AS (
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                            $8::text[], $9::int[], $10::timestamptz[], $11::text[])
         AS v(tenant_id, device_id, reason, detail, source, channel, event_id, excerpt, payload_bytes, received_at, dedupe_key)
       WHERE EXISTS (SELECT 1 FROM tenants t WHERE t.id = v.tenant_id)
     ),
     ins AS (
       INSERT INTO device_rejections (tenant_id, device_id, reason, detail, source, channel, event_id, excerpt,
                                      payload_bytes, received_at, dedupe_key)
       SELECT * FROM v ON CONFLICT (tenant_id, dedupe_key) DO NOTHING
       RETURNING tenant_id, device_id, reason, source, received_at
     ),
     cnt AS (
       INSERT INTO device_rejection_counts AS c (tenant_id, device_id, reason, count, first_at, last_at)
       SELECT tenant_id, coalesce(device_id, ''), reason, count(*), min(received_at), max(received_at)
       FROM ins GROUP BY 1, 2, 3
       ON CONFLICT (tenant_id, device_id, reason) DO UPDATE SET
         count = c.count + excluded.count,
         first_at = least(c.first_at, excluded.first_at),
         last_at = greatest(c.last_at, excluded.last_at)
       RETURNING 1
     )
     SELECT tenant_id, device_id, reason, source FROM ins`,
    [
      rows.map((r) => r.tenantId),
      rows.map((r) => r.deviceId),
      rows.map((r) => r.reason),
      rows.map((r) => r.detail),
      rows.map((r) => r.source),
      rows.map((r) => r.channel),
      rows.map((r) => r.eventId),
      rows.map((r) => r.excerpt),
      rows.map((r) => r.payloadBytes),
      rows.map((r) => r.receivedAt),
      rows.map((r) => r.dedupeKey),
    ],
  );
  const devices = new Map<string, { tenantId: string; deviceId: string }>();
  const tenants = new Set<string>();
  for (const r of inserted) {
    tenants.add(r.tenant_id);
    if (r.device_id !== null)
      devices.set(`${r.tenant_id}|${r.device_id}`, { tenantId: r.tenant_id, deviceId: r.device_id });
  }
  for (const { tenantId, deviceId } of devices.values()) {
    await db.query(
      `DELETE FROM device_rejections WHERE tenant_id = $1 AND device_id = $2 AND (received_at, id) < (
         SELECT received_at, id FROM device_rejections WHERE tenant_id = $1 AND device_id = $2
         ORDER BY received_at DESC, id DESC OFFSET $3 - 1 LIMIT 1)`,
      [tenantId, deviceId, limits.perDevice],
    );
  }
  for (const tenantId of tenants) {
    await db.query(
      `DELETE FROM device_rejections WHERE tenant_id = $1 AND received_at < (
         SELECT received_at FROM device_rejections WHERE tenant_id = $1
         ORDER BY received_at DESC OFFSET $2 - 1 LIMIT 1)`,
      [tenantId, limits.perTenant],
    );
  }
  return inserted.map((r) => ({ reason: r.reason, source: r.source }));
}

/**
 * Deletes rows older than each tenant's retention (tenants.settings.rejections.retentionDays,
 * 1..3650, default 30), at most `batch` rows per tenant and pass. Returns the rows deleted.
 */
export async function pruneRejections(db: Db, now: Date, batch = 10_000): Promise<number> {
  const { rows } = await db.query<{ deleted: number }>(
    `WITH policy AS (
       SELECT t.id AS tenant_id,
              least(3650, greatest(1, coalesce(
                CASE WHEN jsonb_typeof(t.settings -> 'rejections' -> 'retentionDays') = 'number'
                     THEN (t.settings -> 'rejections' ->> 'retentionDays')::numeric END, $2)))::int AS days
       FROM tenants t WHERE EXISTS (SELECT 1 FROM device_rejections r WHERE r.tenant_id = t.id)
     ),
     doomed AS (
       SELECT r.id FROM policy p
       CROSS JOIN LATERAL (
         SELECT id FROM device_rejections r
         WHERE r.tenant_id = p.tenant_id AND r.received_at < $1::timestamptz - make_interval(days => p.days)
         LIMIT $3) r
     ),
     del AS (DELETE FROM device_rejections WHERE id IN (SELECT id FROM doomed) RETURNING 1)
     SELECT count(*)::int AS deleted FROM del`,
    [now, DEFAULT_RETENTION_DAYS, batch],
  );
  return rows[0]?.deleted ?? 0;
}
