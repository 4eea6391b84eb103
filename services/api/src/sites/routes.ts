import type { Principal } from '@telemetry/auth';
import { AppError } from '@telemetry/contracts';
import type pg from 'pg';
import { z } from 'zod';
import { audit } from '../audit.js';
import type { ApiContext } from '../context.js';
import { auditRow, deleteAudited } from '../http/audited.js';
import { type Keyset, listPage } from '../http/pagination.js';
import type { RouteTable } from '../http/route-table.js';
import { attributes, id, pageQuery, qBool, timeZone } from '../http/validation.js';
import { notFound, tenantWhere, visibleSiteWhere, writeTenant } from '../scope.js';

interface SiteRow {
  id: string;
  tenant_id: string;
  name: string;
  address: string;
  contact_person: string;
  timezone: string;
  is_active: boolean;
  attributes: Record<string, unknown>;
  created_at: Date;
}
const COLUMNS =
  's.id, s.tenant_id, s.name, s.address, s.contact_person, s.timezone, s.is_active, s.attributes, s.created_at';

export function presentSite(r: SiteRow) {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    name: r.name,
    address: r.address,
    contactPerson: r.contact_person,
    timezone: r.timezone,
    isActive: r.is_active,
    attributes: r.attributes,
    createdAt: r.created_at.toISOString(),
  };
}

const SiteBody = z.object({
  name: z.string().min(1).max(200),
  address: z.string().max(500).optional(),
  contactPerson: z.string().max(200).optional(),
  timezone: timeZone.optional(),
  isActive: z.boolean().optional(),
  attributes: attributes.optional(),
  tenantId: id.optional(),
});
const SiteParams = z.object({ siteId: id });

export function registerSiteRoutes(table: RouteTable, ctx: ApiContext): void {
  const { store } = ctx;

  const load = async (db: Pick<pg.ClientBase, 'query'>, p: Principal, siteId: string): Promise<SiteRow> => {
    const params: unknown[] = [siteId];
    const { rows } = await db.query<SiteRow>(
      `SELECT ${COLUMNS} FROM sites s WHERE s.id = $1 AND ${tenantWhere(p, 's.tenant_id', params)} AND ${visibleSiteWhere(p, 's.id', params)}`,
      params,
    );
    if (!rows[0]) throw notFound('site');
    return rows[0];
  };

  table.add({
    method: 'get',
    path: '/api/sites',
    summary: 'Sites (physical locations) of the tenant',
    tags: ['assets'],
    access: 'assets:read',
    query: z.object({
      ...pageQuery,
      active: qBool.optional(),
      q: z.string().max(100).optional(),
      tenantId: id.optional(),
    }),
    handler: async ({ query, principal }) => {
      const params: unknown[] = [];
      const where = [tenantWhere(principal, 's.tenant_id', params), visibleSiteWhere(principal, 's.id', params)];
      if (query.tenantId) where.push(`s.tenant_id = $${params.push(query.tenantId)}`);
      if (query.active !== undefined) where.push(`s.is_active = $${params.push(query.active)}`);
      if (query.q) where.push(`s.name ILIKE $${params.push(`%${query.q}%`)}`);
      const keyset: Keyset = { column: 's.name', type: 'text', id: 's.id', direction: 'asc' };
      return listPage(store.pool, { columns: COLUMNS, from: 'sites s', where, params, keyset }, query, presentSite);
    },
  });

  table.add({
    method: 'post',
    path: '/api/sites',
    summary: 'Create a site',
    tags: ['assets'],
    access: 'assets:write',
    body: SiteBody,
    example: { name: 'Head office', address: '1 Main St', timezone: 'Europe/Berlin' },
    status: 201,
    handler: async ({ body, principal }) =>
      store.withTransaction(async (client) => {
        const tenantId = writeTenant(principal, body.tenantId);
        const { rows } = await client.query<SiteRow>(
          `INSERT INTO sites AS s (tenant_id, name, address, contact_person, timezone, is_active, attributes)
           VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING ${COLUMNS}`,
          [
            tenantId,
            body.name,
            body.address ?? '',
            body.contactPerson ?? '',
            body.timezone ?? 'UTC',
            body.isActive ?? true,
            JSON.stringify(body.attributes ?? {}),
          ],
        );
        if (!rows[0]) throw new AppError('CONFLICT', `a site named ${body.name} exists`);
        await audit(client, principal, {
          action: 'create',
          entity: 'site',
          entityId: rows[0].id,
          tenantId,
          details: { name: body.name },
        });
        return presentSite(rows[0]);
      }),
  });

  table.add({
    method: 'get',
    path: '/api/sites/:siteId',
    summary: 'One site',
    tags: ['assets'],
    access: 'assets:read',
    params: SiteParams,
    handler: async ({ params, principal }) => presentSite(await load(store.pool, principal, params.siteId)),
  });

  for (const method of ['patch', 'put'] as const) {
    table.add({
      method,
      path: '/api/sites/:siteId',
      summary: method === 'patch' ? 'Change a site' : 'Change a site (same as PATCH)',
      tags: ['assets'],
      access: 'assets:write',
      params: SiteParams,
      body: SiteBody.omit({ tenantId: true }).partial(),
      example: { contactPerson: 'Jane Roe' },
      handler: async ({ params, body, principal }) =>
        store.withTransaction(async (client) => {
          const site = await load(client, principal, params.siteId);
          const { rows } = await client.query<SiteRow>(
            `UPDATE sites s SET name = coalesce($2, name), address = coalesce($3, address),
               contact_person = coalesce($4, contact_person), timezone = coalesce($5, timezone),
               is_active = coalesce($6, is_active), attributes = coalesce($7::jsonb, attributes)
             WHERE id = $1 RETURNING ${COLUMNS}`,
            [
              site.id,
              body.name ?? null,
              body.address ?? null,
              body.contactPerson ?? null,
              body.timezone ?? null,
              body.isActive ?? null,
              body.attributes ? JSON.stringify(body.attributes) : null,
            ],
          );
          await auditRow(client, principal, 'update', 'site', site, body);
          return presentSite(rows[0] as SiteRow);
        }),
    });
  }

  table.add({
    method: 'delete',
    path: '/api/sites/:siteId',
    summary: 'Delete a site (its assets stay, without site)',
    tags: ['assets'],
    access: 'assets:write',
    params: SiteParams,
    status: 204,
    handler: ({ params, principal }) =>
      deleteAudited(store, principal, {
        entity: 'site',
        table: 'sites',
        load: (db) => load(db, principal, params.siteId),
        details: (site) => ({ name: site.name }),
      }),
  });
}
