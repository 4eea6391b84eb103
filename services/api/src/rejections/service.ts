import type { Principal } from '@telemetry/auth';
import type pg from 'pg';
import type { DeviceViews } from '../context.js';
import { mapPage, type Page } from '../http/pagination.js';
import { readTenant, tenantWhere, visibleAssetWhere } from '../scope.js';
import { listDeviceRejections, type RejectionFilter, type RejectionRow, rejectionSummary } from './repository.js';

type Db = Pick<pg.ClientBase, 'query'>;

export function presentRejection(r: RejectionRow) {
  return {
    id: r.id,
    deviceId: r.device_id,
    reason: r.reason,
    detail: r.detail,
    source: r.source,
    channel: r.channel,
    eventId: r.event_id,
    excerpt: r.excerpt,
    payloadBytes: r.payload_bytes,
    receivedAt: r.received_at.toISOString(),
  };
}

/** A device's rejections: 404 unless the caller may see the device (tenant, and assets for viewers). */
export async function deviceRejections(
  db: Db,
  views: DeviceViews,
  p: Principal,
  deviceId: string,
  f: RejectionFilter,
): Promise<Page<ReturnType<typeof presentRejection>>> {
  const device = await views.get(p, deviceId);
  if (!device.tenant_id) return { items: [], nextCursor: null };
  const page = await listDeviceRejections(db, device.tenant_id, deviceId, f);
  return mapPage(page, presentRejection);
}

/** How many devices the summary lists (most rejections first). */
const SUMMARY_DEVICES = 200;

/** The tenant's counts since `since`, by reason and device (devices the caller may see), and all-time totals. */
export async function summary(db: Db, p: Principal, tenantId: string | undefined, since: Date) {
  const tenant = readTenant(p, tenantId);
  const visibility = (params: unknown[]) =>
    [tenantWhere(p, 'd.tenant_id', params), visibleAssetWhere(p, 'd.asset_id', params)].join(' AND ');
  const s = await rejectionSummary(db, tenant, since, visibility, SUMMARY_DEVICES);
  return {
    tenantId: tenant,
    since: since.toISOString(),
    total: s.byReason.reduce((n, r) => n + r.count, 0),
    byReason: s.byReason,
    byDevice: s.byDevice.map((d) => ({
      deviceId: d.device_id,
      count: d.count,
      lastAt: d.last_at.toISOString(),
      byReason: d.by_reason,
    })),
    allTime: s.totals,
  };
}
