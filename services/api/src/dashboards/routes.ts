import { Dashboard, DashboardLayout, DashboardSummary, page } from '@telemetry/api-contract';
import { z } from 'zod';
import type { ApiContext } from '../context.js';
import type { RouteTable } from '../http/route-table.js';
import { id, pageQuery } from '../http/validation.js';
import { createDashboardService } from './service.js';

const Params = z.object({ dashboardId: id });
const Draft = {
  name: z.string().trim().min(1).max(80),
  description: z.string().max(500).default(''),
  layout: DashboardLayout.default({ widgets: [] }),
};
const EXAMPLE_LAYOUT = {
  widgets: [
    {
      id: 'w1',
      kind: 'alerts' as const,
      title: 'Open alerts',
      position: { x: 0, y: 0, w: 6, h: 3 },
      binding: {},
      options: { limit: 10, activeOnly: true },
    },
  ],
};

/**
 * Dashboards people compose (#21): a tenant's pages of widgets, saved on the server and shared in
 * the tenant. Everybody in it may view them; managers and admins edit (the route table enforces
 * the permission, the service the tenant and the version).
 */
export function registerDashboardRoutes(table: RouteTable, ctx: ApiContext): void {
  const service = createDashboardService(ctx.store);

  table.add({
    method: 'get',
    path: '/api/dashboards',
    summary: 'The tenant’s dashboards by name (without their layouts)',
    tags: ['dashboards'],
    access: 'dashboards:read',
    query: z.object({ ...pageQuery, tenantId: id.optional() }),
    response: page(DashboardSummary),
    handler: ({ query, principal }) => service.list(principal, query),
  });

  table.add({
    method: 'post',
    path: '/api/dashboards',
    summary: 'Create a dashboard (managers and admins); a platform admin names the tenant',
    tags: ['dashboards'],
    access: 'dashboards:write',
    body: z.object({ ...Draft, tenantId: id.optional() }),
    example: { name: 'Line A overview', layout: EXAMPLE_LAYOUT },
    status: 201,
    response: Dashboard,
    handler: ({ body, principal }) => service.create(principal, body),
  });

  table.add({
    method: 'get',
    path: '/api/dashboards/:dashboardId',
    summary: 'A dashboard with its layout of widgets',
    tags: ['dashboards'],
    access: 'dashboards:read',
    params: Params,
    response: Dashboard,
    handler: ({ params, principal }) => service.get(principal, params.dashboardId),
  });

  table.add({
    method: 'put',
    path: '/api/dashboards/:dashboardId',
    summary: 'Save a dashboard (managers and admins): the version it was loaded at, or 409 when someone saved since',
    tags: ['dashboards'],
    access: 'dashboards:write',
    params: Params,
    body: z.object({ ...Draft, version: z.number().int().min(1) }),
    example: { name: 'Line A overview', layout: EXAMPLE_LAYOUT, version: 1 },
    response: Dashboard,
    handler: ({ params, body, principal }) => service.update(principal, params.dashboardId, body),
  });

  table.add({
    method: 'delete',
    path: '/api/dashboards/:dashboardId',
    summary: 'Delete a dashboard (managers and admins)',
    tags: ['dashboards'],
    access: 'dashboards:write',
    params: Params,
    status: 204,
    produces: 'none',
    handler: ({ params, principal }) => service.remove(principal, params.dashboardId),
  });
}
