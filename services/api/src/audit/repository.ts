import type { Principal } from '@telemetry/auth';
import type pg from 'pg';
import { type Keyset, listPage, type Page } from '../http/pagination.js';
import { tenantWhere } from '../scope.js';

/** Reading the audit log (writing it: ../audit.ts, inside each change's transaction). */
interface AuditRow {
  id: number;
  tenant_id: string | null;
  actor_id: string | null;
  actor_username: string | null;
  action: string;
  entity: string;
  entity_id: string | null;
  details: Record<string, unknown>;
  at: Date;
}
// the actor's current username (null once the user is deleted: actor_id has no foreign key on purpose)
const COLUMNS =
  'l.id, l.tenant_id, l.actor_id, au.username AS actor_username, l.action, l.entity, l.entity_id, l.details, l.at';
const FROM = 'audit_log l LEFT JOIN users au ON au.id = l.actor_id';

export interface AuditFilter {
  tenantId?: string;
  actorId?: string;
  actions?: string[];
  entity?: string;
  entityId?: string;
  /** at >= from */
  from?: Date;
  /** at < to */
  to?: Date;
  limit: number;
  cursor?: string;
}

function presentAuditEntry(r: AuditRow) {
  return {
    id: String(r.id),
    tenantId: r.tenant_id,
    actorId: r.actor_id,
    actorUsername: r.actor_username,
    action: r.action,
    entity: r.entity,
    entityId: r.entity_id,
    details: r.details,
    at: r.at.toISOString(),
  };
}

/** One page, newest first; every filter is a bound parameter, the page size is capped by the route. */
export function selectAudit(
  db: Pick<pg.ClientBase, 'query'>,
  p: Principal,
  f: AuditFilter,
): Promise<Page<ReturnType<typeof presentAuditEntry>>> {
  const params: unknown[] = [];
  const where = [tenantWhere(p, 'l.tenant_id', params)];
  if (f.tenantId) where.push(`l.tenant_id = $${params.push(f.tenantId)}`);
  if (f.entity) where.push(`l.entity = $${params.push(f.entity)}`);
  if (f.entityId) where.push(`l.entity_id = $${params.push(f.entityId)}`);
  if (f.actorId) where.push(`l.actor_id = $${params.push(f.actorId)}`);
  if (f.actions?.length) where.push(`l.action = ANY($${params.push(f.actions)}::text[])`);
  if (f.from) where.push(`l.at >= $${params.push(f.from)}`);
  if (f.to) where.push(`l.at < $${params.push(f.to)}`);
  const keyset: Keyset = { column: 'l.at', type: 'timestamptz', id: 'l.id', direction: 'desc' };
  return listPage(db, { columns: COLUMNS, from: FROM, where, params, keyset }, f, presentAuditEntry);
}
