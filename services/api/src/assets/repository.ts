import type { Principal } from '@telemetry/auth';
import { AppError } from '@telemetry/contracts';
import type pg from 'pg';
import { audit } from '../audit.js';
import { type Keyset, listPage, type Page } from '../http/pagination.js';
import { notFound, tenantWhere, visibleAssetWhere, writeTenant } from '../scope.js';
import { checkAttributes } from './attributes.js';

type Db = Pick<pg.ClientBase, 'query'>;

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
export const ASSET_COLUMNS =
  'a.id, a.tenant_id, a.site_id, a.parent_id, a.type, a.name, a.is_active, a.attributes, a.created_at, a.updated_at';

export function presentAsset(r: AssetRow) {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    siteId: r.site_id,
    parentId: r.parent_id,
    type: r.type,
    name: r.name,
    isActive: r.is_active,
    attributes: r.attributes,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}

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

export async function listAssets(db: Db, p: Principal, f: AssetFilter): Promise<Page<AssetRow>> {
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
  return listPage(db, { columns: ASSET_COLUMNS, from: 'assets a', where, params, keyset }, f, (r: AssetRow) => r);
}

/** One asset the caller may see (of `type` when given); else 404. */
export async function getAsset(db: Db, p: Principal, id: string, type?: string): Promise<AssetRow> {
  const params: unknown[] = [id];
  const where = [`a.id = $1`, tenantWhere(p, 'a.tenant_id', params), visibleAssetWhere(p, 'a.id', params)];
  if (type) where.push(`a.type = $${params.push(type)}`);
  const { rows } = await db.query<AssetRow>(
    `SELECT ${ASSET_COLUMNS} FROM assets a WHERE ${where.join(' AND ')}`,
    params,
  );
  if (!rows[0]) throw notFound(type ?? 'asset');
  return rows[0];
}

export interface AssetInput {
  tenantId?: string | null;
  siteId?: string | null;
  parentId?: string | null;
  type: string;
  name: string;
  isActive?: boolean;
  attributes?: Record<string, unknown>;
}

/** The parent and site must be of the same tenant; a child inherits its parent's site by default. */
async function checkRefs(
  db: Db,
  tenantId: string,
  input: { siteId?: string | null; parentId?: string | null },
  parentType?: string,
): Promise<{ siteFromParent: string | null }> {
  let siteFromParent: string | null = null;
  if (input.parentId) {
    const { rows } = await db.query<{ site_id: string | null; type: string }>(
      'SELECT site_id, type FROM assets WHERE id = $1 AND tenant_id = $2',
      [input.parentId, tenantId],
    );
    const parent = rows[0];
    if (!parent || (parentType && parent.type !== parentType)) throw notFound(parentType ?? 'parent asset');
    siteFromParent = parent.site_id;
  }
  if (input.siteId) {
    const { rowCount } = await db.query('SELECT 1 FROM sites WHERE id = $1 AND tenant_id = $2', [
      input.siteId,
      tenantId,
    ]);
    if (!rowCount) throw notFound('site');
  }
  return { siteFromParent };
}

export async function createAsset(db: Db, p: Principal, input: AssetInput, parentType?: string): Promise<AssetRow> {
  checkAttributes(input.attributes);
  const tenantId = writeTenant(p, input.tenantId);
  const { siteFromParent } = await checkRefs(db, tenantId, input, parentType);
  const { rows } = await db.query<AssetRow>(
    `INSERT INTO assets AS a (tenant_id, site_id, parent_id, type, name, is_active, attributes)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${ASSET_COLUMNS}`,
    [
      tenantId,
      input.siteId ?? siteFromParent,
      input.parentId ?? null,
      input.type,
      input.name,
      input.isActive ?? true,
      JSON.stringify(input.attributes ?? {}),
    ],
  );
  const row = rows[0] as AssetRow;
  await audit(db, p, {
    action: 'create',
    entity: 'asset',
    entityId: row.id,
    tenantId,
    details: { type: row.type, name: row.name },
  });
  return row;
}

export interface AssetPatch {
  siteId?: string | null;
  parentId?: string | null;
  name?: string;
  isActive?: boolean;
  /** Merged into the stored attributes (null values remove keys) unless `replaceAttributes`. */
  attributes?: Record<string, unknown>;
  replaceAttributes?: boolean;
}

export async function updateAsset(
  db: Db,
  p: Principal,
  id: string,
  patch: AssetPatch,
  type?: string,
  parentType?: string,
): Promise<AssetRow> {
  checkAttributes(patch.attributes);
  const current = await getAsset(db, p, id, type);
  await checkRefs(db, current.tenant_id, patch, parentType);
  if (patch.parentId) {
    // no cycles: the new parent must not be the asset itself or one of its descendants
    const { rowCount } = await db.query(
      `WITH RECURSIVE sub AS (SELECT id FROM assets WHERE id = $1 UNION SELECT c.id FROM assets c JOIN sub s ON c.parent_id = s.id)
       SELECT 1 FROM sub WHERE id = $2`,
      [id, patch.parentId],
    );
    if (rowCount) throw new AppError('CONFLICT', 'an asset cannot be moved under itself or its descendants');
  }
  let attrs = current.attributes;
  if (patch.attributes) {
    attrs = patch.replaceAttributes ? patch.attributes : { ...current.attributes, ...patch.attributes };
    for (const [k, v] of Object.entries(attrs)) if (v === null) delete attrs[k];
  }
  const { rows } = await db.query<AssetRow>(
    `UPDATE assets a SET
       site_id = CASE WHEN $2 THEN $3::uuid ELSE site_id END,
       parent_id = CASE WHEN $4 THEN $5::uuid ELSE parent_id END,
       name = coalesce($6, name), is_active = coalesce($7, is_active), attributes = $8, updated_at = now()
     WHERE id = $1 RETURNING ${ASSET_COLUMNS}`,
    [
      id,
      patch.siteId !== undefined,
      patch.siteId ?? null,
      patch.parentId !== undefined,
      patch.parentId ?? null,
      patch.name ?? null,
      patch.isActive ?? null,
      JSON.stringify(attrs),
    ],
  );
  await audit(db, p, {
    action: 'update',
    entity: 'asset',
    entityId: id,
    tenantId: current.tenant_id,
    details: { ...patch },
  });
  return rows[0] as AssetRow;
}

/** Deletes the asset and its subtree; devices bound to them become unbound. */
export async function deleteAsset(db: Db, p: Principal, id: string, type?: string): Promise<void> {
  const current = await getAsset(db, p, id, type);
  // children go by ON DELETE CASCADE; devices keep existing with asset_id NULL (0001_core.sql)
  await db.query('DELETE FROM assets WHERE id = $1', [id]);
  await audit(db, p, {
    action: 'delete',
    entity: 'asset',
    entityId: id,
    tenantId: current.tenant_id,
    details: { type: current.type, name: current.name },
  });
}
