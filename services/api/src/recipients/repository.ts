import type { Principal } from '@telemetry/auth';
import type pg from 'pg';
import { type Keyset, listPage, type Page } from '../http/pagination.js';
import { notFound, tenantWhere } from '../scope.js';

type Db = Pick<pg.ClientBase, 'query'>;

export interface RecipientRow {
  id: string;
  tenant_id: string;
  asset_id: string | null;
  rule_id: string | null;
  email: string;
  name: string;
  cooldown_s: number;
  created_at: Date;
}
const COLUMNS = 'n.id, n.tenant_id, n.asset_id, n.rule_id, n.email, n.name, n.cooldown_s, n.created_at';

export async function loadRecipient(db: Db, p: Principal, recipientId: string): Promise<RecipientRow> {
  const params: unknown[] = [recipientId];
  const { rows } = await db.query<RecipientRow>(
    `SELECT ${COLUMNS} FROM notification_recipients n WHERE n.id = $1 AND ${tenantWhere(p, 'n.tenant_id', params)}`,
    params,
  );
  if (!rows[0]) throw notFound('recipient');
  return rows[0];
}

export function listRecipients<T>(
  db: Db,
  p: Principal,
  f: { assetId?: string; ruleId?: string; tenantId?: string },
  page: { cursor?: string; limit: number },
  map: (r: RecipientRow) => T,
): Promise<Page<T>> {
  const params: unknown[] = [];
  const where = [tenantWhere(p, 'n.tenant_id', params)];
  if (f.assetId) where.push(`n.asset_id = $${params.push(f.assetId)}`);
  if (f.ruleId) where.push(`n.rule_id = $${params.push(f.ruleId)}`);
  if (f.tenantId) where.push(`n.tenant_id = $${params.push(f.tenantId)}`);
  const keyset: Keyset = { column: 'n.created_at', type: 'timestamptz', id: 'n.id', direction: 'asc' };
  return listPage(db, { columns: COLUMNS, from: 'notification_recipients n', where, params, keyset }, page, map);
}

/** The asset or rule a recipient is for exists in the tenant (404 otherwise, no existence oracle). */
export async function assertRecipientTarget(
  db: Db,
  tenantId: string,
  b: { assetId?: string | null; ruleId?: string | null },
): Promise<void> {
  const [sql, value, what] = b.assetId
    ? ['SELECT 1 FROM assets WHERE id = $1 AND tenant_id = $2', b.assetId, 'asset']
    : ['SELECT 1 FROM rules WHERE id = $1 AND tenant_id = $2', b.ruleId, 'rule'];
  if (!value) return;
  const { rowCount } = await db.query(sql, [value, tenantId]);
  if (!rowCount) throw notFound(what);
}

export async function insertRecipient(
  db: Db,
  r: {
    tenantId: string;
    assetId: string | null;
    ruleId: string | null;
    email: string;
    name: string;
    cooldownS: number;
  },
): Promise<RecipientRow> {
  const { rows } = await db.query<RecipientRow>(
    `INSERT INTO notification_recipients AS n (tenant_id, asset_id, rule_id, email, name, cooldown_s)
     VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${COLUMNS}`,
    [r.tenantId, r.assetId, r.ruleId, r.email, r.name, r.cooldownS],
  );
  return rows[0] as RecipientRow;
}

export async function updateRecipient(
  db: Db,
  id: string,
  patch: { email?: string; name?: string; cooldownS?: number },
): Promise<RecipientRow> {
  const { rows } = await db.query<RecipientRow>(
    `UPDATE notification_recipients n SET email = coalesce($2, email), name = coalesce($3, name), cooldown_s = coalesce($4, cooldown_s)
     WHERE id = $1 RETURNING ${COLUMNS}`,
    [id, patch.email ?? null, patch.name ?? null, patch.cooldownS ?? null],
  );
  return rows[0] as RecipientRow;
}
