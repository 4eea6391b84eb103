import { Asset, page } from '@telemetry/api-contract';
import { z } from 'zod';
import type { ApiContext } from '../context.js';
import { mapPage } from '../http/pagination.js';
import type { RouteTable } from '../http/route-table.js';
import { attributes, id, pageQuery, qBool, qList } from '../http/validation.js';
import { assetType, createAsset, deleteAsset, getAsset, listAssets, presentAsset, updateAsset } from './service.js';

const AssetParams = z.object({ assetId: id });
const AssetBody = z.object({
  type: assetType,
  name: z.string().min(1).max(200),
  siteId: id.optional().nullable(),
  parentId: id.optional().nullable(),
  isActive: z.boolean().optional(),
  /** Type-specific fields: dispenser type and low-level threshold, max_consumption, price... */
  attributes: attributes.optional(),
  /** Platform admins only. */
  tenantId: id.optional(),
});
const AssetPatch = z.object({
  name: z.string().min(1).max(200).optional(),
  siteId: id.optional().nullable(),
  parentId: id.optional().nullable(),
  isActive: z.boolean().optional(),
  attributes: attributes.optional(),
});

/** The typed asset tree: floor > pantry > dispenser, outlet > machine, line > machine, meter... */
export function registerAssetRoutes(table: RouteTable, ctx: ApiContext): void {
  const { store } = ctx;

  table.add({
    method: 'get',
    path: '/api/assets',
    summary: 'Assets, filtered by type, parent (parentId, or root=true), site, active, name',
    tags: ['assets'],
    access: 'assets:read',
    query: z.object({
      ...pageQuery,
      type: qList(assetType).optional(),
      parentId: id.optional(),
      root: qBool.optional(),
      siteId: id.optional(),
      active: qBool.optional(),
      q: z.string().max(100).optional(),
      tenantId: id.optional(),
    }),
    response: page(Asset),
    handler: async ({ query, principal }) => {
      const page = await listAssets(store.pool, principal, {
        types: query.type,
        parentId: query.root ? null : query.parentId,
        siteId: query.siteId,
        active: query.active,
        q: query.q,
        tenantId: query.tenantId,
        limit: query.limit,
        cursor: query.cursor,
      });
      return mapPage(page, presentAsset);
    },
  });

  table.add({
    method: 'post',
    path: '/api/assets',
    summary: 'Create an asset (its parent and site must be of the same tenant)',
    tags: ['assets'],
    access: 'assets:write',
    body: AssetBody,
    example: { type: 'floor', name: 'Floor 1' },
    status: 201,
    response: Asset,
    handler: async ({ body, principal }) =>
      presentAsset(await store.withTransaction((c) => createAsset(c, principal, body))),
  });

  table.add({
    method: 'get',
    path: '/api/assets/:assetId',
    summary: 'One asset',
    tags: ['assets'],
    access: 'assets:read',
    params: AssetParams,
    response: Asset,
    handler: async ({ params, principal }) => presentAsset(await getAsset(store.pool, principal, params.assetId)),
  });

  for (const method of ['patch', 'put'] as const) {
    table.add({
      method,
      path: '/api/assets/:assetId',
      summary:
        method === 'patch'
          ? 'Change or move an asset (attributes are merged; null removes a key; parentId moves it in the tree)'
          : 'Change an asset (same as PATCH)',
      tags: ['assets'],
      access: 'assets:write',
      params: AssetParams,
      body: AssetPatch,
      example: { name: 'Floor 1 (east)', attributes: { note: 'renovated' } },
      response: Asset,
      handler: async ({ params, body, principal }) =>
        presentAsset(await store.withTransaction((c) => updateAsset(c, principal, params.assetId, body))),
    });
  }

  table.add({
    method: 'delete',
    path: '/api/assets/:assetId',
    summary: 'Delete an asset; one with assets under it or devices on it is refused (409) unless ?cascade=true',
    tags: ['assets'],
    access: 'assets:write',
    params: AssetParams,
    query: z.object({ cascade: qBool.optional() }),
    status: 204,
    handler: async ({ params, query, principal }) => {
      await store.withTransaction((c) =>
        deleteAsset(c, principal, params.assetId, undefined, { cascade: query.cascade ?? false }),
      );
    },
  });
}
