import type { Principal } from '@telemetry/auth';
import type pg from 'pg';

type Queryable = Pick<pg.ClientBase, 'query'>;

export interface AuditEntry {
  action: string;
  entity: string;
  entityId?: string | null;
  tenantId: string | null;
  details?: Record<string, unknown>;
}

/** Every change made by a person is recorded; call it inside the change's transaction. */
export async function audit(
  db: Queryable,
  actor: Principal | { userId: string | null } | null,
  entry: AuditEntry,
): Promise<void> {
  await db.query(
    'INSERT INTO audit_log (tenant_id, actor_id, action, entity, entity_id, details) VALUES ($1, $2, $3, $4, $5, $6)',
    [
      entry.tenantId,
      actor?.userId ?? null,
      entry.action,
      entry.entity,
      entry.entityId ?? null,
      JSON.stringify(entry.details ?? {}),
    ],
  );
}
