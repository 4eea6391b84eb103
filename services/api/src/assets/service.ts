import type { Principal } from '@telemetry/auth';
import { AppError } from '@telemetry/contracts';
import type pg from 'pg';
import { z } from 'zod';
import { audit } from '../audit.js';
import type { Page } from '../http/pagination.js';
import { notFound, writeTenant } from '../scope.js';
import { checkAttributes } from './attributes.js';
import {
  type AssetFilter,
  type AssetRow,
  countContents,
  deleteAssetRow,
  insertAsset,
  isInSubtree,
  selectAsset,
  selectAssets,
  selectParent,
  siteOfTenant,
  updateAssetRow,
} from './repository.js';

type Db = Pick<pg.ClientBase, 'query'>;

/** An asset's type: the rules' `assetType` target names these too. */
export const assetType = z
  .string()
  .regex(
    /^[a-z][a-z0-9_]{0,31}$/,
    'lower-case letters, digits and _, e.g. floor, pantry, dispenser, outlet, machine, line, meter',
  );

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

export function listAssets(db: Db, p: Principal, f: AssetFilter): Promise<Page<AssetRow>> {
  return selectAssets(db, p, f);
}

/** One asset the caller may see (of `type` when given); else 404. */
export async function getAsset(db: Db, p: Principal, id: string, type?: string): Promise<AssetRow> {
  const row = await selectAsset(db, p, id, type);
  if (!row) throw notFound(type ?? 'asset');
  return row;
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
    const parent = await selectParent(db, tenantId, input.parentId);
    if (!parent || (parentType && parent.type !== parentType)) throw notFound(parentType ?? 'parent asset');
    siteFromParent = parent.site_id;
  }
  if (input.siteId && !(await siteOfTenant(db, tenantId, input.siteId))) throw notFound('site');
  return { siteFromParent };
}

export async function createAsset(db: Db, p: Principal, input: AssetInput, parentType?: string): Promise<AssetRow> {
  checkAttributes(input.attributes);
  const tenantId = writeTenant(p, input.tenantId);
  const { siteFromParent } = await checkRefs(db, tenantId, input, parentType);
  const row = await insertAsset(db, {
    tenantId,
    siteId: input.siteId ?? siteFromParent,
    parentId: input.parentId ?? null,
    type: input.type,
    name: input.name,
    isActive: input.isActive ?? true,
    attributes: input.attributes ?? {},
  });
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
  // no cycles: the new parent must not be the asset itself or one of its descendants
  if (patch.parentId && (await isInSubtree(db, id, patch.parentId)))
    throw new AppError('CONFLICT', 'an asset cannot be moved under itself or its descendants');
  let attrs = current.attributes;
  if (patch.attributes) {
    attrs = patch.replaceAttributes ? patch.attributes : { ...current.attributes, ...patch.attributes };
    for (const [k, v] of Object.entries(attrs)) if (v === null) delete attrs[k];
  }
  const row = await updateAssetRow(db, id, { ...patch, attributes: attrs });
  await audit(db, p, {
    action: patch.parentId !== undefined && patch.parentId !== current.parent_id ? 'move' : 'update',
    entity: 'asset',
    entityId: id,
    tenantId: current.tenant_id,
    details: { ...patch, ...(patch.parentId !== undefined ? { fromParentId: current.parent_id } : {}) },
  });
  return row;
}

/**
 * Deletes the asset. With `cascade` (the seeds' aliases, and `?cascade=true`) its subtree goes with
 * it and bound devices become unbound; without, a non-empty asset is refused with what is in it,
 * so a click in the tree cannot take a whole floor along (#21).
 */
export async function deleteAsset(
  db: Db,
  p: Principal,
  id: string,
  type?: string,
  opts: { cascade: boolean } = { cascade: true },
): Promise<void> {
  const current = await getAsset(db, p, id, type);
  const contents = await countContents(db, id);
  if (!opts.cascade && (contents.children > 0 || contents.devices > 0)) {
    throw new AppError(
      'CONFLICT',
      `${current.name} is not empty (${contents.children} asset(s) under it, ${contents.devices} device(s) on it): move or delete them first, or delete with ?cascade=true`,
      { details: { field: 'assetId', ...contents } },
    );
  }
  await deleteAssetRow(db, id);
  await audit(db, p, {
    action: 'delete',
    entity: 'asset',
    entityId: id,
    tenantId: current.tenant_id,
    details: { type: current.type, name: current.name, ...contents },
  });
}
