import type { Principal } from '@telemetry/auth';
import type pg from 'pg';
import { type Keyset, listPage, type Page } from '../http/pagination.js';
import { tenantWhere, visibleSiteWhere } from '../scope.js';

type Db = Pick<pg.ClientBase, 'query'>;

/** The sites table's SQL, scoped by the caller (scope.ts). */
export interface SiteRow {
  id: string;
  tenant_id: string;
  name: string;
  address: string;
  contact_person: string;
  timezone: string;
  is_active: boolean;
  attributes: Record<string, unknown>;
  created_at: Date;
}
const COLUMNS =
  's.id, s.tenant_id, s.name, s.address, s.contact_person, s.timezone, s.is_active, s.attributes, s.created_at';

export interface SiteFilter {
  tenantId?: string;
  active?: boolean;
  q?: string;
  limit: number;
  cursor?: string;
}

export function selectSites(db: Db, p: Principal, f: SiteFilter): Promise<Page<SiteRow>> {
  const params: unknown[] = [];
  const where = [tenantWhere(p, 's.tenant_id', params), visibleSiteWhere(p, 's.id', params)];
  if (f.tenantId) where.push(`s.tenant_id = $${params.push(f.tenantId)}`);
  if (f.active !== undefined) where.push(`s.is_active = $${params.push(f.active)}`);
  if (f.q) where.push(`s.name ILIKE $${params.push(`%${f.q}%`)}`);
  const keyset: Keyset = { column: 's.name', type: 'text', id: 's.id', direction: 'asc' };
  return listPage(db, { columns: COLUMNS, from: 'sites s', where, params, keyset }, f, (r: SiteRow) => r);
}

export async function selectSite(db: Db, p: Principal, siteId: string): Promise<SiteRow | undefined> {
  const params: unknown[] = [siteId];
  const { rows } = await db.query<SiteRow>(
    `SELECT ${COLUMNS} FROM sites s WHERE s.id = $1 AND ${tenantWhere(p, 's.tenant_id', params)} AND ${visibleSiteWhere(p, 's.id', params)}`,
    params,
  );
  return rows[0];
}

export interface SiteValues {
  name: string;
  address: string;
  contactPerson: string;
  timezone: string;
  isActive: boolean;
  attributes: Record<string, unknown>;
}

/** undefined when a site of that name exists in the tenant. */
export async function insertSite(db: Db, tenantId: string, v: SiteValues): Promise<SiteRow | undefined> {
  const { rows } = await db.query<SiteRow>(
    `INSERT INTO sites AS s (tenant_id, name, address, contact_person, timezone, is_active, attributes)
     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING ${COLUMNS}`,
    [tenantId, v.name, v.address, v.contactPerson, v.timezone, v.isActive, JSON.stringify(v.attributes)],
  );
  return rows[0];
}

export async function updateSiteRow(db: Db, id: string, v: Partial<SiteValues>): Promise<SiteRow> {
  const { rows } = await db.query<SiteRow>(
    `UPDATE sites s SET name = coalesce($2, name), address = coalesce($3, address),
       contact_person = coalesce($4, contact_person), timezone = coalesce($5, timezone),
       is_active = coalesce($6, is_active), attributes = coalesce($7::jsonb, attributes)
     WHERE id = $1 RETURNING ${COLUMNS}`,
    [
      id,
      v.name ?? null,
      v.address ?? null,
      v.contactPerson ?? null,
      v.timezone ?? null,
      v.isActive ?? null,
      v.attributes ? JSON.stringify(v.attributes) : null,
    ],
  );
  return rows[0] as SiteRow;
}

/** Assets placed at the site (any depth: each asset row carries its site). */
export async function countSiteAssets(db: Db, siteId: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM assets WHERE site_id = $1', [siteId]);
  return rows[0]?.n ?? 0;
}
