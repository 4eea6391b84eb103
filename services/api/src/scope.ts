import { isPlatformAdmin, type Principal } from '@telemetry/auth';
import { AppError } from '@telemetry/contracts';

/**
 * Tenant scoping. Every query of tenant-owned rows goes through these: the caller's tenant is
 * a bound parameter, so an id of another tenant simply finds no row (404, never its data).
 * A platform admin is not filtered.
 */
export function tenantWhere(p: Principal, column: string, params: unknown[]): string {
  if (isPlatformAdmin(p)) return 'TRUE';
  params.push(p.tenantId);
  return `${column} = $${params.length}::uuid`;
}

/**
 * Viewers see only the assets assigned to them (and their subtrees, see user_visible_assets in
 * 0004_api.sql). `column` is an asset id column; rows without an asset are hidden from viewers.
 */
export function visibleAssetWhere(p: Principal, column: string, params: unknown[]): string {
  if (p.role !== 'viewer') return 'TRUE';
  params.push(p.userId);
  return `${column} IN (SELECT asset_id FROM user_visible_assets($${params.length}::uuid))`;
}

/**
 * Alerts and tasks a person sees (the car-plant seed: "visible to the managers and operators
 * working on the affected machine"): viewers as for assets; operators those of the assets they
 * are assigned to (and their subtrees; `taskColumn`: also the tasks assigned to them), unless
 * their tenant's setting `operatorsSeeAll` is true; managers and admins the whole tenant.
 */
export function visibleWorkWhere(p: Principal, column: string, params: unknown[], taskColumn?: string): string {
  if (p.role === 'viewer') return visibleAssetWhere(p, column, params);
  if (p.role !== 'operator') return 'TRUE';
  params.push(p.userId);
  const u = `$${params.length}::uuid`;
  const seeAll = `EXISTS (SELECT 1 FROM users us JOIN tenants tn ON tn.id = us.tenant_id
    WHERE us.id = ${u} AND tn.settings -> 'operatorsSeeAll' = 'true'::jsonb)`;
  const own = taskColumn ? ` OR ${taskColumn} IN (SELECT task_id FROM task_assignees WHERE user_id = ${u})` : '';
  return `(${seeAll} OR ${column} IN (SELECT asset_id FROM user_visible_assets(${u}))${own})`;
}

/** Sites a viewer sees: assigned sites and the sites of visible assets. */
export function visibleSiteWhere(p: Principal, column: string, params: unknown[]): string {
  if (p.role !== 'viewer') return 'TRUE';
  params.push(p.userId);
  const u = `$${params.length}::uuid`;
  return `(${column} IN (SELECT site_id FROM user_assignments WHERE user_id = ${u} AND site_id IS NOT NULL)
    OR ${column} IN (SELECT a.site_id FROM assets a WHERE a.id IN (SELECT asset_id FROM user_visible_assets(${u}))))`;
}

/**
 * The tenant a write goes to: the caller's own; a platform admin names one (`tenantId`).
 * A tenant user naming another tenant is refused as not found (no existence oracle).
 */
export function writeTenant(p: Principal, requested: string | null | undefined): string {
  if (isPlatformAdmin(p)) {
    if (!requested)
      throw new AppError('VALIDATION_FAILED', 'tenantId is required for a platform admin', {
        details: { field: 'tenantId' },
      });
    return requested;
  }
  if (requested && requested !== p.tenantId) throw new AppError('NOT_FOUND', 'tenant not found');
  if (!p.tenantId) throw new AppError('FORBIDDEN', 'no tenant');
  return p.tenantId;
}

/** The tenant a read concerns when a query needs exactly one (telemetry): the caller's, or the one a platform admin names. */
export function readTenant(p: Principal, requested: string | null | undefined): string {
  return writeTenant(p, requested);
}

export function notFound(what: string): AppError {
  return new AppError('NOT_FOUND', `${what} not found`);
}
