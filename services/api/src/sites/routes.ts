import { page, Site } from '@telemetry/api-contract';
import { z } from 'zod';
import type { ApiContext } from '../context.js';
import { mapPage } from '../http/pagination.js';
import type { RouteTable } from '../http/route-table.js';
import { attributes, id, pageQuery, qBool, timeZone } from '../http/validation.js';
import { createSiteService, presentSite } from './service.js';

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
  const sites = createSiteService(ctx.store);

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
    response: page(Site),
    handler: async ({ query, principal }) => mapPage(await sites.list(principal, query), presentSite),
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
    response: Site,
    handler: async ({ body, principal }) => presentSite(await sites.create(principal, body)),
  });

  table.add({
    method: 'get',
    path: '/api/sites/:siteId',
    summary: 'One site',
    tags: ['assets'],
    access: 'assets:read',
    params: SiteParams,
    response: Site,
    handler: async ({ params, principal }) => presentSite(await sites.get(principal, params.siteId)),
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
      response: Site,
      handler: async ({ params, body, principal }) => presentSite(await sites.update(principal, params.siteId, body)),
    });
  }

  table.add({
    method: 'delete',
    path: '/api/sites/:siteId',
    summary: 'Delete a site; one that still has assets is refused (409) with how many',
    tags: ['assets'],
    access: 'assets:write',
    params: SiteParams,
    status: 204,
    handler: ({ params, principal }) => sites.remove(principal, params.siteId),
  });
}
