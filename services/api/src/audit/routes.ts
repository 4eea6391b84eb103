import { AuditEntry, page } from '@telemetry/api-contract';
import { AppError } from '@telemetry/contracts';
import { z } from 'zod';
import type { ApiContext } from '../context.js';
import type { RouteTable } from '../http/route-table.js';
import { id, isoTime, pageQuery, qList } from '../http/validation.js';
import { selectAudit } from './repository.js';

const auditWord = z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'lower-case letters, digits and _');

/** The audit log: every change made by a person (admins of the tenant; platform admins everything). */
export function registerAuditRoutes(table: RouteTable, ctx: ApiContext): void {
  table.add({
    method: 'get',
    path: '/api/audit',
    summary:
      'Audit log, newest first; filters: actor, action(s), entity (resource) and its id, time range (from/since..to), tenant',
    tags: ['audit'],
    access: 'audit:read',
    query: z.object({
      ...pageQuery,
      entity: z.string().max(64).optional(),
      entityId: z.string().max(200).optional(),
      actorId: id.optional(),
      action: qList(auditWord).optional(),
      /** Platform admins: one tenant's entries. */
      tenantId: id.optional(),
      since: isoTime.optional(),
      from: isoTime.optional(),
      to: isoTime.optional(),
    }),
    response: page(AuditEntry),
    handler: ({ query, principal }) => {
      const from = query.from ?? query.since;
      if (from && query.to && from >= query.to)
        throw new AppError('VALIDATION_FAILED', 'Invalid query: from must be before to', {
          details: { errors: [{ path: 'query.to', message: 'must be after from', code: 'custom' }] },
        });
      return selectAudit(ctx.store.pool, principal, {
        ...query,
        actions: query.action,
        from,
      });
    },
  });
}
