import { z } from 'zod';
import type { ApiContext } from './context.js';
import { type Keyset, listPage } from './http/pagination.js';
import type { RouteTable } from './http/route-table.js';
import { id, isoTime, pageQuery } from './http/validation.js';
import { tenantWhere } from './scope.js';

interface AuditRow {
  id: number;
  tenant_id: string | null;
  actor_id: string | null;
  action: string;
  entity: string;
  entity_id: string | null;
  details: Record<string, unknown>;
  at: Date;
}
const COLUMNS = 'l.id, l.tenant_id, l.actor_id, l.action, l.entity, l.entity_id, l.details, l.at';

/** The audit log: every change made by a person (admins of the tenant; platform admins everything). */
export function registerAuditRoutes(table: RouteTable, ctx: ApiContext): void {
  table.add({
    method: 'get',
    path: '/api/audit',
    summary: 'Audit log, newest first; filters: entity, entity id, actor, since',
    tags: ['audit'],
    access: 'audit:read',
    query: z.object({
      ...pageQuery,
      entity: z.string().max(64).optional(),
      entityId: z.string().max(200).optional(),
      actorId: id.optional(),
      since: isoTime.optional(),
    }),
    handler: async ({ query, principal }) => {
      const params: unknown[] = [];
      const where = [tenantWhere(principal, 'l.tenant_id', params)];
      if (query.entity) where.push(`l.entity = $${params.push(query.entity)}`);
      if (query.entityId) where.push(`l.entity_id = $${params.push(query.entityId)}`);
      if (query.actorId) where.push(`l.actor_id = $${params.push(query.actorId)}`);
      if (query.since) where.push(`l.at >= $${params.push(query.since)}`);
      const keyset: Keyset = { column: 'l.at', type: 'timestamptz', id: 'l.id', direction: 'desc' };
      return listPage(
        ctx.store.pool,
        { columns: COLUMNS, from: 'audit_log l', where, params, keyset },
        query,
        (r: AuditRow) => ({
          id: String(r.id),
          tenantId: r.tenant_id,
          actorId: r.actor_id,
          action: r.action,
          entity: r.entity,
          entityId: r.entity_id,
          details: r.details,
          at: r.at.toISOString(),
        }),
      );
    },
  });
}
