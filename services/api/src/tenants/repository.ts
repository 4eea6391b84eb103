import type { Principal } from '@telemetry/auth';
import type pg from 'pg';
import { type Keyset, listPage, type Page } from '../http/pagination.js';
import { tenantWhere } from '../scope.js';

type Db = Pick<pg.ClientBase, 'query'>;

/** The tenants table's SQL; a tenant user sees only their own row. */
export interface TenantRow {
  id: string;
  name: string;
  external_id: string | null;
  timezone: string;
  settings: Record<string, unknown>;
  allow_mac_only: boolean;
  created_at: Date;
}
const COLUMNS = 't.id, t.name, t.external_id, t.timezone, t.settings, t.allow_mac_only, t.created_at';

export function selectTenants(
  db: Db,
  p: Principal,
  page: { limit: number; cursor?: string },
): Promise<Page<TenantRow>> {
  const params: unknown[] = [];
  const where = [tenantWhere(p, 't.id', params)];
  const keyset: Keyset = { column: 't.name', type: 'text', id: 't.id', direction: 'asc' };
  return listPage(db, { columns: COLUMNS, from: 'tenants t', where, params, keyset }, page, (r: TenantRow) => r);
}

export async function selectTenant(db: Db, p: Principal, tenantId: string): Promise<TenantRow | undefined> {
  const params: unknown[] = [tenantId];
  const { rows } = await db.query<TenantRow>(
    `SELECT ${COLUMNS} FROM tenants t WHERE t.id = $1 AND ${tenantWhere(p, 't.id', params)}`,
    params,
  );
  return rows[0];
}

export interface TenantValues {
  name: string;
  externalId: string | null;
  timezone: string;
  settings: Record<string, unknown>;
}

/** undefined when the name or external id is taken. */
export async function insertTenant(db: Db, v: TenantValues): Promise<TenantRow | undefined> {
  const { rows } = await db.query<TenantRow>(
    `INSERT INTO tenants AS t (name, external_id, timezone, settings) VALUES ($1, $2, $3, $4)
     ON CONFLICT DO NOTHING RETURNING ${COLUMNS}`,
    [v.name, v.externalId, v.timezone, JSON.stringify(v.settings)],
  );
  return rows[0];
}

/** Sets what is given; `externalId` undefined = unchanged, null = cleared; `settings` replaces the whole object. */
export async function updateTenantRow(
  db: Db,
  id: string,
  v: Partial<TenantValues> & { allowMacOnly?: boolean },
): Promise<TenantRow> {
  const { rows } = await db.query<TenantRow>(
    `UPDATE tenants t SET name = coalesce($2, name), external_id = CASE WHEN $6 THEN $3 ELSE external_id END,
       timezone = coalesce($4, timezone), settings = coalesce($5::jsonb, settings),
       allow_mac_only = coalesce($7, allow_mac_only)
     WHERE id = $1 RETURNING ${COLUMNS}`,
    [
      id,
      v.name ?? null,
      v.externalId ?? null,
      v.timezone ?? null,
      v.settings ? JSON.stringify(v.settings) : null,
      v.externalId !== undefined,
      v.allowMacOnly ?? null,
    ],
  );
  return rows[0] as TenantRow;
}

/** The tenant's users (their sessions end with it); a tenant's users are few, the cap is a guard. */
export async function selectTenantUserIds(db: Db, tenantId: string): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>('SELECT id FROM users WHERE tenant_id = $1 LIMIT 100000', [tenantId]);
  return rows.map((r) => r.id);
}

/** Everything with a foreign key to the tenant goes by ON DELETE CASCADE (0001_core.sql). */
export async function deleteTenantRow(db: Db, tenantId: string): Promise<void> {
  await db.query('DELETE FROM tenants WHERE id = $1', [tenantId]);
}
