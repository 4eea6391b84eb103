import type { Principal } from '@telemetry/auth';
import type pg from 'pg';
import { listPage, type Page } from '../http/pagination.js';
import { tenantWhere } from '../scope.js';

type Db = Pick<pg.ClientBase, 'query'>;

export interface DashboardRow {
  id: string;
  tenant_id: string;
  name: string;
  description: string;
  layout: unknown;
  version: number;
  created_by: string | null;
  updated_by: string | null;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = `d.id, d.tenant_id, d.name, d.description, d.layout, d.version, d.created_by, d.updated_by,
  d.created_at, d.updated_at`;

/** One dashboard through the caller's tenant scope (another tenant's id finds none); FOR UPDATE in a change. */
export async function getDashboard(
  db: Db,
  p: Principal,
  dashboardId: string,
  opts: { forUpdate?: boolean } = {},
): Promise<DashboardRow | null> {
  const params: unknown[] = [dashboardId];
  const { rows } = await db.query<DashboardRow>(
    `SELECT ${COLUMNS} FROM dashboards d WHERE d.id = $1 AND ${tenantWhere(p, 'd.tenant_id', params)}
     ${opts.forUpdate ? 'FOR UPDATE' : ''}`,
    params,
  );
  return rows[0] ?? null;
}

/** A tenant's dashboards by name, a page at a time (a platform admin: every tenant's, or the one named). */
export function listDashboards(
  db: Db,
  p: Principal,
  q: { tenantId?: string; limit: number; cursor?: string },
): Promise<Page<DashboardRow>> {
  const params: unknown[] = [];
  const where = [tenantWhere(p, 'd.tenant_id', params)];
  if (q.tenantId) where.push(`d.tenant_id = $${params.push(q.tenantId)}::uuid`);
  return listPage<DashboardRow, DashboardRow>(
    db,
    {
      columns: COLUMNS,
      from: 'dashboards d',
      where,
      params,
      keyset: { column: 'lower(d.name)', type: 'text', id: 'd.id', direction: 'asc' },
    },
    q,
    (r) => r,
  );
}

export async function countDashboards(db: Db, tenantId: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM dashboards WHERE tenant_id = $1', [
    tenantId,
  ]);
  return rows[0]?.n ?? 0;
}

export async function nameTaken(db: Db, tenantId: string, name: string, exceptId?: string): Promise<boolean> {
  const { rows } = await db.query(
    `SELECT 1 FROM dashboards WHERE tenant_id = $1 AND lower(name) = lower($2) AND id IS DISTINCT FROM $3::uuid LIMIT 1`,
    [tenantId, name, exceptId ?? null],
  );
  return rows.length > 0;
}

export async function insertDashboard(
  db: Db,
  row: { tenantId: string; name: string; description: string; layout: unknown; userId: string },
): Promise<DashboardRow> {
  const { rows } = await db.query<DashboardRow>(
    `INSERT INTO dashboards AS d (tenant_id, name, description, layout, created_by, updated_by)
     VALUES ($1, $2, $3, $4::jsonb, $5, $5) RETURNING ${COLUMNS}`,
    [row.tenantId, row.name, row.description, JSON.stringify(row.layout), row.userId],
  );
  return rows[0] as DashboardRow;
}

export async function updateDashboard(
  db: Db,
  id: string,
  row: { name: string; description: string; layout: unknown; userId: string },
): Promise<DashboardRow> {
  const { rows } = await db.query<DashboardRow>(
    `UPDATE dashboards d SET name = $2, description = $3, layout = $4::jsonb, updated_by = $5,
       version = d.version + 1, updated_at = now()
     WHERE d.id = $1 RETURNING ${COLUMNS}`,
    [id, row.name, row.description, JSON.stringify(row.layout), row.userId],
  );
  return rows[0] as DashboardRow;
}

/** The ids among `devices` / `assets` that are NOT the tenant's (bounded: a layout names at most 24 widgets). */
export async function foreignBindings(
  db: Db,
  tenantId: string,
  ids: { devices: string[]; assets: string[] },
): Promise<{ devices: string[]; assets: string[] }> {
  const { rows } = await db.query<{ kind: 'device' | 'asset'; id: string }>(
    `SELECT 'device' AS kind, id FROM devices WHERE tenant_id = $1 AND id = ANY($2::text[])
     UNION ALL SELECT 'asset', id::text FROM assets WHERE tenant_id = $1 AND id = ANY($3::uuid[])`,
    [tenantId, ids.devices, ids.assets],
  );
  const found = new Set(rows.map((r) => `${r.kind}:${r.id}`));
  return {
    devices: ids.devices.filter((d) => !found.has(`device:${d}`)),
    assets: ids.assets.filter((a) => !found.has(`asset:${a}`)),
  };
}
