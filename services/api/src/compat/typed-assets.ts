import { hasPermission, type Principal } from '@telemetry/auth';
import { AppError } from '@telemetry/contracts';
import { z } from 'zod';
import type { AssetRow } from '../assets/repository.js';
import { createAsset, deleteAsset, getAsset, listAssets, updateAsset } from '../assets/service.js';
import type { ApiContext } from '../context.js';
import { cursorInHeader } from '../http/pagination.js';
import type { RouteTable } from '../http/route-table.js';
import { id, pageQuery, qBool } from '../http/validation.js';

/**
 * A seed's resource (the ozone seed's outlets/machines, the dispenser seed's floors/pantries/
 * dispensers) as a typed view of the asset tree: same tables, same scoping, the seed's field
 * names. `fields` are kept in the asset's attributes and shown top-level.
 */
export interface TypedAlias {
  base: string;
  type: string;
  param: string;
  tag: string;
  label: string;
  parent?: { type: string; field: string; query: string };
  fields: Record<string, z.ZodType>;
  /** Extra list filters: `user_id` (assets visible to that user), `device_id` (bound device). */
  filters?: ('user_id' | 'device_id')[];
  example: Record<string, unknown>;
  /** One item as answered (@telemetry/api-contract): the list answers an array of them. */
  response: z.ZodType;
  /** Adds fields computed from other tables (a machine's bound device). */
  decorate?: (rows: Record<string, unknown>[]) => Promise<Record<string, unknown>[]>;
}

export function present(alias: TypedAlias, r: AssetRow): Record<string, unknown> {
  const out: Record<string, unknown> = { id: r.id, name: r.name, is_active: r.is_active };
  if (alias.parent) out[alias.parent.field] = r.parent_id;
  for (const f of Object.keys(alias.fields)) out[f] = r.attributes[f] ?? null;
  out.site_id = r.site_id;
  out.attributes = r.attributes;
  out.created_at = r.created_at.toISOString();
  out.updated_at = r.updated_at.toISOString();
  return out;
}

export function registerTypedAlias(table: RouteTable, ctx: ApiContext, alias: TypedAlias): void {
  const { store } = ctx;
  const params = z.object({ [alias.param]: id });
  const pick = (b: Record<string, unknown>) => {
    const attrs: Record<string, unknown> = {};
    for (const f of Object.keys(alias.fields)) if (b[f] !== undefined) attrs[f] = b[f];
    return attrs;
  };
  const bodyShape = {
    name: z.string().min(1).max(200),
    is_active: z.boolean().optional(),
    site_id: id.optional().nullable(),
    tenant_id: id.optional(),
    ...(alias.parent ? { [alias.parent.field]: id.optional().nullable() } : {}),
    ...Object.fromEntries(Object.entries(alias.fields).map(([k, s]) => [k, s.optional()])),
  };
  const Body = z.object(bodyShape);
  const Patch = Body.partial();
  const decorate = async (rows: Record<string, unknown>[]) => (alias.decorate ? alias.decorate(rows) : rows);
  const one = async (p: Principal, assetId: string) =>
    (await decorate([present(alias, await getAsset(store.pool, p, assetId, alias.type))]))[0];

  const listQuery = z.object({
    ...pageQuery,
    is_active: qBool.optional(),
    ...(alias.parent ? { [alias.parent.query]: id.optional() } : {}),
    ...(alias.filters?.includes('user_id') ? { user_id: id.optional() } : {}),
    ...(alias.filters?.includes('device_id') ? { device_id: z.string().max(128).optional() } : {}),
  });

  table.add({
    method: 'get',
    path: `${alias.base}/`,
    summary: `${alias.label}: list (seed-compatible view of assets of type ${alias.type})`,
    tags: [alias.tag],
    access: 'assets:read',
    query: listQuery,
    response: z.array(alias.response),
    aliasOf: `/api/assets?type=${alias.type}`,
    handler: async ({ query, principal, res }) => {
      const q = query as Record<string, unknown> & { limit: number; cursor?: string; is_active?: boolean };
      let p = principal;
      // the dispenser seed's ?user_id=: what that user is assigned to (a viewer's view of it).
      // Someone else's assignments are for those who may read users; the rest may name only themselves.
      if (q.user_id) {
        if (q.user_id !== principal.userId && !hasPermission(principal.role, 'users:read'))
          throw new AppError('FORBIDDEN', 'Only admins and managers may list the assignments of another user');
        p = { ...principal, role: 'viewer', userId: q.user_id as string };
      }
      const page = await listAssets(store.pool, p, {
        types: [alias.type],
        parentId: alias.parent ? (q[alias.parent.query] as string | undefined) : undefined,
        active: q.is_active,
        deviceId: q.device_id as string | undefined,
        limit: q.limit,
        cursor: q.cursor,
      });
      return decorate(cursorInHeader(res, page).map((r) => present(alias, r)));
    },
  });

  table.add({
    method: 'post',
    path: `${alias.base}/`,
    summary: `${alias.label}: create`,
    tags: [alias.tag],
    access: 'assets:write',
    body: Body,
    example: alias.example as never,
    status: 201,
    response: alias.response,
    aliasOf: '/api/assets',
    handler: async ({ body, principal }) => {
      const b = body as Record<string, unknown>;
      const row = await store.withTransaction((c) =>
        createAsset(
          c,
          principal,
          {
            tenantId: b.tenant_id as string | undefined,
            type: alias.type,
            name: b.name as string,
            isActive: b.is_active as boolean | undefined,
            siteId: b.site_id as string | null | undefined,
            parentId: alias.parent ? (b[alias.parent.field] as string | null | undefined) : undefined,
            attributes: pick(b),
          },
          alias.parent?.type,
        ),
      );
      return one(principal, row.id);
    },
  });

  table.add({
    method: 'get',
    path: `${alias.base}/:${alias.param}/`,
    summary: `${alias.label}: one`,
    tags: [alias.tag],
    access: 'assets:read',
    params,
    response: alias.response,
    aliasOf: '/api/assets/{assetId}',
    handler: async ({ params: p, principal }) => one(principal, (p as Record<string, string>)[alias.param] as string),
  });

  for (const method of ['put', 'patch'] as const) {
    table.add({
      method,
      path: `${alias.base}/:${alias.param}/`,
      summary: `${alias.label}: update`,
      tags: [alias.tag],
      access: 'assets:write',
      params,
      body: Patch,
      example: { name: `${alias.example.name as string} (renamed)` } as never,
      response: alias.response,
      aliasOf: '/api/assets/{assetId}',
      handler: async ({ params: p, body, principal }) => {
        const assetId = (p as Record<string, string>)[alias.param] as string;
        const b = body as Record<string, unknown>;
        await store.withTransaction((c) =>
          updateAsset(
            c,
            principal,
            assetId,
            {
              name: b.name as string | undefined,
              isActive: b.is_active as boolean | undefined,
              siteId: b.site_id as string | null | undefined,
              parentId: alias.parent ? (b[alias.parent.field] as string | null | undefined) : undefined,
              attributes: pick(b),
            },
            alias.type,
            alias.parent?.type,
          ),
        );
        return one(principal, assetId);
      },
    });
  }

  table.add({
    method: 'delete',
    path: `${alias.base}/:${alias.param}/`,
    summary: `${alias.label}: delete (with its subtree)`,
    tags: [alias.tag],
    access: 'assets:write',
    params,
    status: 204,
    aliasOf: '/api/assets/{assetId}',
    handler: async ({ params: p, principal }) => {
      await store.withTransaction((c) =>
        deleteAsset(c, principal, (p as Record<string, string>)[alias.param] as string, alias.type),
      );
    },
  });
}
