import type { Principal } from '@telemetry/auth';
import type pg from 'pg';
import { type Keyset, listPage, type Page } from '../http/pagination.js';
import { tenantWhere, visibleAssetWhere } from '../scope.js';

type Db = Pick<pg.ClientBase, 'query'>;

/** The assets table's SQL: every statement scoped by the caller (scope.ts) or by a tenant id already checked. */
export interface AssetRow {
  id: string;
  tenant_id: string;
  site_id: string | null;
  parent_id: string | null;
  type: string;
  name: string;
  is_active: boolean;
  attributes: Record<string, unknown>;
  created_at: Date;
  updated_at: Date;
}
const COLUMNS =
  'a.id, a.tenant_id, a.site_id, a.parent_id, a.type, a.name, a.is_active, a.attributes, a.created_at, a.updated_at';

export interface AssetFilter {
  types?: string[];
  /** null: roots only. */
  parentId?: string | null;
  siteId?: string;
  active?: boolean;
  q?: string;
  tenantId?: string;
  /** Assets having a device currently bound with this id (the ozone seed's machines?device_id=). */
  deviceId?: string;
  limit: number;
  cursor?: string;
}

export function selectAssets(db: Db, p: Principal, f: AssetFilter): Promise<Page<AssetRow>> {
  const params: unknown[] = [];
  const where = [tenantWhere(p, 'a.tenant_id', params), visibleAssetWhere(p, 'a.id', params)];
  if (f.tenantId) where.push(`a.tenant_id = $${params.push(f.tenantId)}`);
  if (f.types?.length) where.push(`a.type = ANY($${params.push(f.types)}::text[])`);
  if (f.parentId === null) where.push('a.parent_id IS NULL');
  else if (f.parentId) where.push(`a.parent_id = $${params.push(f.parentId)}`);
  if (f.siteId) where.push(`a.site_id = $${params.push(f.siteId)}`);
  if (f.active !== undefined) where.push(`a.is_active = $${params.push(f.active)}`);
  if (f.q) where.push(`a.name ILIKE $${params.push(`%${f.q}%`)}`);
  if (f.deviceId) {
    where.push(
      `a.id IN (SELECT asset_id FROM device_bindings WHERE device_id = $${params.push(f.deviceId)} AND unbound_at IS NULL)`,
    );
  }
  const keyset: Keyset = { column: 'a.created_at', type: 'timestamptz', id: 'a.id', direction: 'asc' };
  return listPage(db, { columns: COLUMNS, from: 'assets a', where, params, keyset }, f, (r: AssetRow) => r);
}

/** One asset the caller may see (of `type` when given). */
export async function selectAsset(db: Db, p: Principal, id: string, type?: string): Promise<AssetRow | undefined> {
  const params: unknown[] = [id];
  const where = ['a.id = $1', tenantWhere(p, 'a.tenant_id', params), visibleAssetWhere(p, 'a.id', params)];
  if (type) where.push(`a.type = $${params.push(type)}`);
  const { rows } = await db.query<AssetRow>(`SELECT ${COLUMNS} FROM assets a WHERE ${where.join(' AND ')}`, params);
  return rows[0];
}

/** The parent's site and type, when the parent is of `tenantId`. */
export async function selectParent(
  db: Db,
  tenantId: string,
  parentId: string,
): Promise<{ site_id: string | null; type: string } | undefined> {
  const { rows } = await db.query<{ site_id: string | null; type: string }>(
    'SELECT site_id, type FROM assets WHERE id = $1 AND tenant_id = $2',
    [parentId, tenantId],
  );
  return rows[0];
}

export async function siteOfTenant(db: Db, tenantId: string, siteId: string): Promise<boolean> {
  const { rowCount } = await db.query('SELECT 1 FROM sites WHERE id = $1 AND tenant_id = $2', [siteId, tenantId]);
  return Boolean(rowCount);
}

/** Whether `candidate` is `id` itself or one of its descendants (a move there would make a cycle). */
export async function isInSubtree(db: Db, id: string, candidate: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `WITH RECURSIVE sub AS (SELECT id FROM assets WHERE id = $1 UNION SELECT c.id FROM assets c JOIN sub s ON c.parent_id = s.id)
     SELECT 1 FROM sub WHERE id = $2`,
    [id, candidate],
  );
  return Boolean(rowCount);
}

/** What hangs on an asset: its direct children and the devices bound to it. */
export async function countContents(db: Db, id: string): Promise<{ children: number; devices: number }> {
  const { rows } = await db.query<{ children: number; devices: number }>(
    `SELECT (SELECT count(*)::int FROM assets WHERE parent_id = $1) AS children,
            (SELECT count(*)::int FROM devices WHERE asset_id = $1) AS devices`,
    [id],
  );
  return rows[0] ?? { children: 0, devices: 0 };
}

export interface AssetValues {
  tenantId: string;
  siteId: string | null;
  parentId: string | null;
  type: string;
  name: string;
  isActive: boolean;
  attributes: Record<string, unknown>;
}

export async function insertAsset(db: Db, v: AssetValues): Promise<AssetRow> {
  const { rows } = await db.query<AssetRow>(
    `INSERT INTO assets AS a (tenant_id, site_id, parent_id, type, name, is_active, attributes)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${COLUMNS}`,
    [v.tenantId, v.siteId, v.parentId, v.type, v.name, v.isActive, JSON.stringify(v.attributes)],
  );
  return rows[0] as AssetRow;
}

/** Sets the fields given; `siteId`/`parentId` undefined = unchanged, null = cleared. */
export async function updateAssetRow(
  db: Db,
  id: string,
  v: { siteId?: string | null; parentId?: string | null; name?: string; isActive?: boolean; attributes: object },
): Promise<AssetRow> {
  const { rows } = await db.query<AssetRow>(
    `UPDATE assets a SET
       site_id = CASE WHEN $2 THEN $3::uuid ELSE site_id END,
       parent_id = CASE WHEN $4 THEN $5::uuid ELSE parent_id END,
       name = coalesce($6, name), is_active = coalesce($7, is_active), attributes = $8, updated_at = now()
     WHERE id = $1 RETURNING ${COLUMNS}`,
    [
      id,
      v.siteId !== undefined,
      v.siteId ?? null,
      v.parentId !== undefined,
      v.parentId ?? null,
      v.name ?? null,
      v.isActive ?? null,
      JSON.stringify(v.attributes),
    ],
  );
  return rows[0] as AssetRow;
}

/** Children go by ON DELETE CASCADE; devices keep existing with asset_id NULL (0001_core.sql). */
export async function deleteAssetRow(db: Db, id: string): Promise<void> {
  await db.query('DELETE FROM assets WHERE id = $1', [id]);
}
