import type { Queryable } from '../db.js';
import { iso } from '../db.js';
import { assertTenant } from './validate.js';

/** One version of an event, as stored or as it came in conflicting. */
export interface EventVersion {
  ts: string;
  /** Device time as sent; null when the device sent none. */
  deviceTs: string | null;
  receivedAt: string;
  kind: string;
  source: string;
  metrics: Record<string, number>;
  attributes: Record<string, unknown>;
}

/** An event id that came with two payloads: the stored version, and the one kept apart. */
export interface EventConflict {
  id: string;
  deviceId: string;
  eventId: string;
  reason: 'id_conflict';
  detectedAt: string;
  /** The version in telemetry_raw / device_events (null if retention already removed it, or a deadband kept no row). */
  stored: EventVersion | null;
  /** The version that arrived with the same id and another payload: not stored, not in the rollups. */
  conflicting: EventVersion;
}

export interface ConflictsQuery {
  tenantId: string;
  deviceId?: string;
  /** 1..500, default 100. */
  limit?: number;
  /** `id` of the last item of the previous page (newest first). */
  before?: string;
}

/** Conflicts, newest first, keyset by id; tenant-scoped. */
export async function listConflicts(
  db: Queryable,
  q: ConflictsQuery,
): Promise<{ items: EventConflict[]; nextBefore: string | null }> {
  assertTenant(q.tenantId);
  const limit = Math.min(500, Math.max(1, Math.floor(q.limit ?? 100)));
  const params: unknown[] = [q.tenantId];
  const where = ['c.tenant_id = $1'];
  if (q.deviceId) {
    params.push(q.deviceId);
    where.push(`c.device_id = $${params.length}`);
  }
  if (q.before) {
    params.push(q.before);
    where.push(`c.id < $${params.length}::bigint`);
  }
  params.push(limit + 1);
  const { rows } = await db.query<Row>(
    `SELECT c.id::text AS id, c.device_id, c.event_id, c.detected_at, c.ts, c.device_ts, c.received_at, c.kind,
            c.source, c.metrics, c.attributes,
            s.ts AS s_ts, s.device_ts AS s_device_ts, s.received_at AS s_received_at, s.kind AS s_kind,
            s.source AS s_source, s.metrics AS s_metrics, s.attributes AS s_attributes
     FROM telemetry_conflicts c
     LEFT JOIN LATERAL (
       SELECT r.ts, r.device_ts, r.received_at, r.kind, r.source, r.metrics, r.attributes FROM telemetry_raw r
       WHERE r.tenant_id = c.tenant_id AND r.device_id = c.device_id AND r.event_id = c.event_id
       UNION ALL
       SELECT e.ts, e.device_ts, e.received_at, e.kind, e.source, e.metrics, e.attributes FROM device_events e
       WHERE e.tenant_id = c.tenant_id AND e.device_id = c.device_id AND e.event_id = c.event_id
       LIMIT 1
     ) s ON true
     WHERE ${where.join(' AND ')}
     ORDER BY c.id DESC
     LIMIT $${params.length}`,
    params,
  );
  const page = rows.slice(0, limit);
  return {
    items: page.map((r) => ({
      id: r.id,
      deviceId: r.device_id,
      eventId: r.event_id,
      reason: 'id_conflict',
      detectedAt: iso(r.detected_at),
      stored:
        r.s_ts === null
          ? null
          : {
              ts: iso(r.s_ts),
              deviceTs: r.s_device_ts ? iso(r.s_device_ts) : null,
              receivedAt: iso(r.s_received_at as Date),
              kind: r.s_kind as string,
              source: r.s_source as string,
              metrics: r.s_metrics ?? {},
              attributes: r.s_attributes ?? {},
            },
      conflicting: {
        ts: iso(r.ts),
        deviceTs: r.device_ts ? iso(r.device_ts) : null,
        receivedAt: iso(r.received_at),
        kind: r.kind,
        source: r.source,
        metrics: r.metrics,
        attributes: r.attributes,
      },
    })),
    nextBefore: rows.length > limit ? (page.at(-1)?.id ?? null) : null,
  };
}

/** Conflicts per device of a tenant (the per-device count of #14). */
export async function countConflicts(
  db: Queryable,
  tenantId: string,
  deviceIds?: readonly string[],
): Promise<Record<string, number>> {
  assertTenant(tenantId);
  const { rows } = await db.query<{ device_id: string; n: string }>(
    `SELECT device_id, count(*)::text AS n FROM telemetry_conflicts
     WHERE tenant_id = $1 AND ($2::text[] IS NULL OR device_id = ANY($2::text[]))
     GROUP BY device_id ORDER BY device_id LIMIT 10000`,
    [tenantId, deviceIds ? [...deviceIds] : null],
  );
  return Object.fromEntries(rows.map((r) => [r.device_id, Number(r.n)]));
}

interface Row {
  id: string;
  device_id: string;
  event_id: string;
  detected_at: Date;
  ts: Date;
  device_ts: Date | null;
  received_at: Date;
  kind: string;
  source: string;
  metrics: Record<string, number>;
  attributes: Record<string, unknown>;
  s_ts: Date | null;
  s_device_ts: Date | null;
  s_received_at: Date | null;
  s_kind: string | null;
  s_source: string | null;
  s_metrics: Record<string, number> | null;
  s_attributes: Record<string, unknown> | null;
}
