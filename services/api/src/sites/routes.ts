import { Site } from '@telemetry/api-contract';
import { z } from 'zod';
import type { ApiContext } from '../context.js';
import { addResourceRoutes } from '../http/resource-routes.js';
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

export function registerSiteRoutes(table: RouteTable, ctx: ApiContext): void {
  addResourceRoutes(table, {
    path: '/api/sites',
    param: 'siteId',
    tags: ['assets'],
    item: Site,
    present: presentSite,
    service: createSiteService(ctx.store),
    list: {
      summary: 'Sites (physical locations) of the tenant',
      access: 'assets:read',
      query: z.object({
        ...pageQuery,
        active: qBool.optional(),
        q: z.string().max(100).optional(),
        tenantId: id.optional(),
      }),
    },
    create: {
      summary: 'Create a site',
      access: 'assets:write',
      body: SiteBody,
      example: { name: 'Head office', address: '1 Main St', timezone: 'Europe/Berlin' },
    },
    get: { summary: 'One site', access: 'assets:read' },
    update: {
      summary: 'Change a site',
      access: 'assets:write',
      body: SiteBody.omit({ tenantId: true }).partial(),
      example: { contactPerson: 'Jane Roe' },
      methods: ['patch', 'put'],
    },
    remove: {
      summary: 'Delete a site; one that still has assets is refused (409) with how many',
      access: 'assets:write',
    },
  });
}
