import { isPlatformAdmin, type Principal } from '@telemetry/auth';
import { AppError } from '@telemetry/contracts';
import type pg from 'pg';
import { notFound, tenantWhere, visibleAssetWhere } from '../scope.js';

type Db = Pick<pg.ClientBase, 'query'>;

export interface DeviceSelection {
  tenantId: string;
  /** undefined: every device of the tenant (not for viewers, who always get an explicit list). */
  deviceIds: string[] | undefined;
}

/**
 * Which devices a telemetry query covers, checked against what the caller may see:
 * one device, the devices bound under an asset (outlet, machine, floor...), or the whole
 * tenant. Telemetry rows carry tenant_id, so the query is then scoped by that tenant too.
 */
export async function selectDevices(
  db: Db,
  p: Principal,
  q: { deviceIds?: string[]; assetIds?: string[]; tenantId?: string },
): Promise<DeviceSelection> {
  // A tenant user naming another tenant finds nothing (as writeTenant): without this the selection
  // below would come back empty-handed yet carry the foreign tenantId with deviceIds undefined,
  // which callers read as "every device of that tenant".
  if (q.tenantId && !isPlatformAdmin(p) && q.tenantId !== p.tenantId) throw notFound('tenant');
  const params: unknown[] = [];
  const where = [
    tenantWhere(p, 'd.tenant_id', params),
    visibleAssetWhere(p, 'd.asset_id', params),
    'd.tenant_id IS NOT NULL',
  ];
  if (q.tenantId) where.push(`d.tenant_id = $${params.push(q.tenantId)}::uuid`);
  if (q.deviceIds?.length) where.push(`d.id = ANY($${params.push(q.deviceIds)}::text[])`);
  if (q.assetIds?.length) {
    // the assets must be visible to the caller; then: devices bound anywhere in their subtrees
    const assetParams: unknown[] = [q.assetIds];
    const { rowCount } = await db.query(
      `SELECT 1 FROM assets a WHERE a.id = ANY($1::uuid[]) AND ${tenantWhere(p, 'a.tenant_id', assetParams)}
         AND ${visibleAssetWhere(p, 'a.id', assetParams)}`,
      assetParams,
    );
    if ((rowCount ?? 0) < new Set(q.assetIds).size) throw notFound('asset');
    where.push(`d.asset_id IN (WITH RECURSIVE sub AS (SELECT id FROM assets WHERE id = ANY($${params.push(q.assetIds)}::uuid[])
      UNION SELECT c.id FROM assets c JOIN sub s ON c.parent_id = s.id) SELECT id FROM sub)`);
  }
  const { rows } = await db.query<{ id: string; tenant_id: string }>(
    `SELECT d.id, d.tenant_id FROM devices d WHERE ${where.join(' AND ')} ORDER BY d.id LIMIT 10001`,
    params,
  );
  if (q.deviceIds?.length && rows.length < new Set(q.deviceIds).size) throw notFound('device');
  const tenants = new Set(rows.map((r) => r.tenant_id));
  let tenantId = q.tenantId ?? (isPlatformAdmin(p) ? undefined : (p.tenantId ?? undefined));
  if (!tenantId) {
    if (tenants.size > 1) {
      throw new AppError('VALIDATION_FAILED', 'these devices belong to several tenants: add tenantId', {
        details: { field: 'tenantId' },
      });
    }
    tenantId = [...tenants][0];
  }
  if (!tenantId) {
    throw new AppError('VALIDATION_FAILED', 'name a device, an asset or (platform admins) a tenantId', {
      details: { field: 'tenantId' },
    });
  }
  const explicit = q.deviceIds?.length || q.assetIds?.length || p.role === 'viewer';
  if (rows.length > 10_000 && explicit)
    throw new AppError('VALIDATION_FAILED', 'more than 10,000 devices selected: narrow the filter');
  return { tenantId, deviceIds: explicit ? rows.map((r) => r.id) : undefined };
}
