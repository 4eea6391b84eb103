import type { Principal } from '@telemetry/auth';
import type pg from 'pg';
import { tenantWhere } from '../scope.js';

type Db = Pick<pg.ClientBase, 'query'>;

/** The SQL of the telemetry resource beyond @telemetry/timeseries: tenant lookups and the stats filter options. */
export async function tenantZone(db: Db, tenantId: string): Promise<string> {
  const { rows } = await db.query<{ timezone: string }>('SELECT timezone FROM tenants WHERE id = $1', [tenantId]);
  return rows[0]?.timezone ?? 'UTC';
}

/** The tenant when the caller may see it. */
export async function visibleTenant(db: Db, p: Principal, tenantId: string) {
  const params: unknown[] = [tenantId];
  const { rows } = await db.query<{ id: string; name: string }>(
    `SELECT t.id, t.name FROM tenants t WHERE t.id = $1 AND ${tenantWhere(p, 't.id', params)}`,
    params,
  );
  return rows[0];
}

/** Outlets and machines (of an outlet) the caller may see: viewers only their assigned subtrees. */
export async function optionAssets(db: Db, p: Principal, outletId: string | undefined) {
  const params: unknown[] = [];
  const scope = tenantWhere(p, 'a.tenant_id', params);
  const vis =
    p.role === 'viewer'
      ? ` AND a.id IN (SELECT asset_id FROM user_visible_assets($${params.push(p.userId)}::uuid))`
      : '';
  const { rows: outlets } = await db.query<{ id: string; name: string }>(
    `SELECT a.id, a.name FROM assets a WHERE ${scope}${vis} AND a.type = 'outlet' ORDER BY a.name LIMIT 1000`,
    params,
  );
  const mParams = [...params];
  const outletFilter = outletId ? ` AND a.parent_id = $${mParams.push(outletId)}` : '';
  const { rows: machines } = await db.query<{ id: string; name: string; parent_id: string | null }>(
    `SELECT a.id, a.name, a.parent_id FROM assets a WHERE ${scope}${vis} AND a.type = 'machine'${outletFilter} ORDER BY a.name LIMIT 1000`,
    mParams,
  );
  return { outlets, machines };
}

/** Active devices of the caller's scope, optionally only these ids. */
export async function optionDevices(db: Db, p: Principal, deviceIds: string[] | undefined) {
  const params: unknown[] = [];
  const scope = tenantWhere(p, 'd.tenant_id', params);
  const idFilter = deviceIds ? ` AND d.id = ANY($${params.push(deviceIds)}::text[])` : '';
  const { rows } = await db.query<{ id: string; name: string; asset_id: string | null }>(
    `SELECT d.id, d.name, d.asset_id FROM devices d WHERE ${scope}${idFilter} AND d.state = 'active' ORDER BY d.id LIMIT 1000`,
    params,
  );
  return rows;
}
