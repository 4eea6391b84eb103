import type pg from 'pg';
import { keysetClause, type Page, toPage } from '../http/pagination.js';

type Db = Pick<pg.ClientBase, 'query'>;

export interface RejectionRow {
  id: string;
  device_id: string | null;
  reason: string;
  detail: string;
  source: string;
  channel: string;
  event_id: string | null;
  excerpt: string;
  payload_bytes: number;
  received_at: Date;
}

export interface RejectionFilter {
  reason?: string;
  since?: Date;
  limit: number;
  cursor?: string;
}

/** One device's rejections, newest first (keyset on received_at, id). The caller checked the device is visible. */
export async function listDeviceRejections(
  db: Db,
  tenantId: string,
  deviceId: string,
  f: RejectionFilter,
): Promise<Page<RejectionRow>> {
  const params: unknown[] = [tenantId, deviceId];
  const where = ['r.tenant_id = $1::uuid', 'r.device_id = $2'];
  if (f.reason) where.push(`r.reason = $${params.push(f.reason)}`);
  if (f.since) where.push(`r.received_at >= $${params.push(f.since)}`);
  const page = keysetClause(
    { column: 'r.received_at', type: 'timestamptz', id: 'r.id', direction: 'desc' },
    f.cursor,
    params,
  );
  const { rows } = await db.query<RejectionRow & { _key: string; _id: string }>(
    `SELECT r.id::text AS id, r.device_id, r.reason, r.detail, r.source, r.channel, r.event_id, r.excerpt,
            r.payload_bytes, r.received_at, ${page.select}
     FROM device_rejections r WHERE ${where.join(' AND ')} AND ${page.where} ${page.order}
     LIMIT $${params.push(f.limit + 1)}`,
    params,
  );
  return toPage(rows, f.limit, (r) => r as RejectionRow);
}

export interface DeviceCount {
  device_id: string;
  count: number;
  last_at: Date;
  by_reason: Record<string, number>;
}

/** Adds the caller's visibility over `devices d` to a query's params; returns its SQL. */
export type Visibility = (params: unknown[]) => string;

/**
 * Counts of a tenant's rejections since `since`, by reason and by device (only the devices the
 * caller may see), and the totals kept since the first rejection (device_rejection_counts).
 */
export async function rejectionSummary(
  db: Db,
  tenantId: string,
  since: Date,
  visibility: Visibility,
  maxDevices: number,
): Promise<{
  byReason: { reason: string; count: number }[];
  byDevice: DeviceCount[];
  totals: { reason: string; count: number }[];
}> {
  const scoped = (column: string, params: unknown[]) => {
    const t = `$${params.push(tenantId)}::uuid`;
    return {
      t,
      visible: `EXISTS (SELECT 1 FROM devices d WHERE d.id = ${column} AND d.tenant_id = ${t} AND ${visibility(params)})`,
    };
  };
  const p1: unknown[] = [];
  const q1 = scoped('r.device_id', p1);
  const s1 = `$${p1.push(since)}::timestamptz`;
  const { rows: perReasonDevice } = await db.query<{ device_id: string; reason: string; n: number; last_at: Date }>(
    `SELECT device_id, reason, count(*)::int AS n, max(received_at) AS last_at FROM device_rejections r
     WHERE r.tenant_id = ${q1.t} AND r.received_at >= ${s1} AND ${q1.visible}
     GROUP BY device_id, reason`,
    p1,
  );
  const p2: unknown[] = [];
  const q2 = scoped('c.device_id', p2);
  const { rows: totals } = await db.query<{ reason: string; count: number }>(
    `SELECT reason, sum(count)::int AS count FROM device_rejection_counts c
     WHERE c.tenant_id = ${q2.t} AND ${q2.visible} GROUP BY reason ORDER BY count DESC, reason`,
    p2,
  );
  // a few rows per device and reason: folded here rather than in a second grouping query
  const devices = new Map<string, DeviceCount>();
  const reasons = new Map<string, number>();
  for (const r of perReasonDevice) {
    const d = devices.get(r.device_id) ?? { device_id: r.device_id, count: 0, last_at: r.last_at, by_reason: {} };
    d.count += r.n;
    d.by_reason[r.reason] = r.n;
    if (r.last_at > d.last_at) d.last_at = r.last_at;
    devices.set(r.device_id, d);
    reasons.set(r.reason, (reasons.get(r.reason) ?? 0) + r.n);
  }
  const byDevice = [...devices.values()]
    .sort((a, b) => b.count - a.count || a.device_id.localeCompare(b.device_id))
    .slice(0, maxDevices);
  const byReason = [...reasons.entries()]
    .map(([reason, count]) => ({ reason, count }))
    .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
  return { byReason, byDevice, totals };
}
