import type { Principal } from '@telemetry/auth';
import type { Store } from '@telemetry/store';
import type pg from 'pg';
import { audit } from '../audit.js';

type Queryable = Pick<pg.ClientBase, 'query'>;

/** A tenant-owned row as loaded through the tenant scope (scope.ts): another tenant's id found none. */
export interface TenantRow {
  id: string;
  tenant_id: string | null;
}

/** Records one change of a loaded row in the audit log; call it inside the change's transaction. */
export function auditRow(
  db: Queryable,
  principal: Principal,
  action: string,
  entity: string,
  row: TenantRow,
  details: Record<string, unknown> = {},
): Promise<void> {
  return audit(db, principal, { action, entity, entityId: row.id, tenantId: row.tenant_id, details });
}

/**
 * The tenant-scoped, audited delete of the resources: in one transaction, load the row through
 * the caller's scope (404 for another tenant's id), delete it, record who did and what it was.
 */
export function deleteAudited<R extends TenantRow>(
  store: Pick<Store, 'withTransaction'>,
  principal: Principal,
  spec: {
    entity: string;
    /** `DELETE FROM <table> WHERE id = $1`: the table is a constant of the caller, never input. */
    table: string;
    load: (db: Queryable) => Promise<R>;
    details: (row: R) => Record<string, unknown>;
  },
): Promise<void> {
  return store.withTransaction(async (client) => {
    const row = await spec.load(client);
    await client.query(`DELETE FROM ${spec.table} WHERE id = $1`, [row.id]);
    await auditRow(client, principal, 'delete', spec.entity, row, spec.details(row));
  });
}
