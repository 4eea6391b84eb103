import type pg from 'pg';

/** The tenant questions of a relaying device (a gateway posting readings for its tenant's devices). */
export interface TenantLookups {
  /** Of these ids, the active devices of this tenant. */
  activeInTenant(tenantId: string, deviceIds: string[]): Promise<string[]>;
  /** Whether `customerId` names this tenant: its id, or its external_id (the aggregator seed's customer_id). */
  isTenantAlias(tenantId: string, customerId: string): Promise<boolean>;
}

export function createTenantLookups(deps: { pool: pg.Pool }): TenantLookups {
  const { pool } = deps;
  return {
    async activeInTenant(tenantId, deviceIds) {
      if (deviceIds.length === 0) return [];
      const { rows } = await pool.query<{ id: string }>(
        "SELECT id FROM devices WHERE id = ANY($1::text[]) AND tenant_id = $2 AND state = 'active'",
        [deviceIds, tenantId],
      );
      return rows.map((r) => r.id);
    },

    async isTenantAlias(tenantId, customerId) {
      const { rowCount } = await pool.query(
        'SELECT 1 FROM tenants WHERE id = $1 AND (id::text = $2 OR external_id = $2)',
        [tenantId, customerId],
      );
      return (rowCount ?? 0) > 0;
    },
  };
}
