import { ConflictPage, TenantConflictPage } from '@telemetry/api-contract';
import { countConflicts, listConflicts } from '@telemetry/timeseries';
import { z } from 'zod';
import type { ApiContext } from '../context.js';
import type { RouteTable } from '../http/route-table.js';
import { deviceId, id } from '../http/validation.js';
import { readTenant } from '../scope.js';

/**
 * Event ids that came with two payloads (#14, reason id_conflict): the pipeline stored the first
 * version and kept the other apart in telemetry_conflicts. Both versions are shown here, so a
 * device that reused its ids (a reboot reset its counter) loses nothing silently.
 */
export function registerConflictRoutes(table: RouteTable, ctx: ApiContext): void {
  const { store } = ctx;
  const page = {
    limit: z.coerce.number().int().min(1).max(500).default(100),
    /** `id` of the last item of the previous page. */
    before: z
      .string()
      .regex(/^\d{1,19}$/)
      .optional(),
  };

  table.add({
    method: 'get',
    path: '/api/devices/:deviceId/conflicts',
    summary:
      'A device’s id conflicts: each event id stored with one payload and sent again with another, both versions',
    tags: ['devices', 'telemetry'],
    access: 'telemetry:read',
    params: z.object({ deviceId }),
    query: z.object(page),
    response: ConflictPage,
    handler: async ({ params, query, principal }) => {
      // tenant scoping and viewer visibility: the device must be one the caller sees
      const device = await ctx.deviceViews.get(principal, params.deviceId);
      if (!device.tenant_id) return { items: [], nextBefore: null };
      return listConflicts(store.pool, {
        tenantId: device.tenant_id,
        deviceId: device.id,
        limit: query.limit,
        before: query.before,
      });
    },
  });

  table.add({
    method: 'get',
    path: '/api/telemetry/conflicts',
    summary: 'Id conflicts of the tenant, newest first, with the count per device',
    tags: ['telemetry'],
    access: 'devices:write',
    query: z.object({ ...page, tenantId: id.optional() }),
    response: TenantConflictPage,
    handler: async ({ query, principal }) => {
      const tenantId = readTenant(principal, query.tenantId);
      const [list, perDevice] = await Promise.all([
        listConflicts(store.pool, { tenantId, limit: query.limit, before: query.before }),
        countConflicts(store.pool, tenantId),
      ]);
      return { ...list, perDevice };
    },
  });
}
