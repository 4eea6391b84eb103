import type { Principal } from '@telemetry/auth';
import { AppError } from '@telemetry/contracts';
import type pg from 'pg';
import { audit } from '../audit.js';
import { notFound, tenantWhere } from '../scope.js';
import type { UserRow } from './present.js';
import { assertCanManage } from './service.js';

type Db = Pick<pg.ClientBase, 'query'>;

export interface AssignmentRow {
  id: number;
  user_id: string;
  site_id: string | null;
  asset_id: string | null;
  created_at: Date;
}
const COLUMNS = 'ua.id, ua.user_id, ua.site_id, ua.asset_id, ua.created_at';

export const presentAssignment = (r: AssignmentRow) => ({
  id: String(r.id),
  userId: r.user_id,
  siteId: r.site_id,
  assetId: r.asset_id,
  createdAt: r.created_at.toISOString(),
});

/**
 * Users assigned to sites or assets (the energy seed's user–device mapping): the one place that
 * writes user_assignments, for the canonical routes and the seed aliases alike.
 */
export async function listAssignments(
  db: Db,
  p: Principal,
  f: { userId?: string; assetType?: string; limit: number },
): Promise<AssignmentRow[]> {
  const params: unknown[] = [];
  const where = [tenantWhere(p, 'ua.tenant_id', params)];
  if (f.userId) where.push(`ua.user_id = $${params.push(f.userId)}`);
  if (f.assetType) where.push(`ua.asset_id IN (SELECT id FROM assets WHERE type = $${params.push(f.assetType)})`);
  const { rows } = await db.query<AssignmentRow>(
    `SELECT ${COLUMNS} FROM user_assignments ua WHERE ${where.join(' AND ')} ORDER BY ua.id LIMIT $${params.push(f.limit)}`,
    params,
  );
  return rows;
}

/** Assigns `user` to a site or an asset of its tenant; CONFLICT when already assigned. `db` in a transaction. */
export async function assignUser(
  db: Db,
  actor: Principal,
  user: UserRow,
  target: { siteId?: string; assetId?: string },
): Promise<AssignmentRow> {
  assertCanManage(actor, user); // a manager changes operators' and viewers' assignments only
  if (!user.tenant_id) throw new AppError('CONFLICT', 'platform admins are not assigned');
  const found = target.siteId
    ? await db.query('SELECT 1 FROM sites WHERE id = $1 AND tenant_id = $2', [target.siteId, user.tenant_id])
    : await db.query('SELECT 1 FROM assets WHERE id = $1 AND tenant_id = $2', [target.assetId, user.tenant_id]);
  if (!found.rowCount) throw notFound(target.siteId ? 'site' : 'asset');
  const { rows } = await db.query<AssignmentRow>(
    `INSERT INTO user_assignments AS ua (tenant_id, user_id, site_id, asset_id) VALUES ($1, $2, $3, $4)
     ON CONFLICT DO NOTHING RETURNING ${COLUMNS}`,
    [user.tenant_id, user.id, target.siteId ?? null, target.assetId ?? null],
  );
  if (!rows[0]) throw new AppError('CONFLICT', 'already assigned');
  await audit(db, actor, {
    action: 'assign',
    entity: 'user',
    entityId: user.id,
    tenantId: user.tenant_id,
    details: target,
  });
  return rows[0];
}

/** Removes one assignment of `user`, by its id or by the asset; NOT_FOUND when there is none. */
export async function unassignUser(
  db: Db,
  actor: Principal,
  user: UserRow,
  which: { assignmentId: number } | { assetId: string },
): Promise<void> {
  assertCanManage(actor, user);
  const res =
    'assignmentId' in which
      ? await db.query('DELETE FROM user_assignments WHERE id = $1 AND user_id = $2', [which.assignmentId, user.id])
      : await db.query('DELETE FROM user_assignments WHERE asset_id = $1 AND user_id = $2', [which.assetId, user.id]);
  if (!res.rowCount) throw notFound('assignment');
  await audit(db, actor, {
    action: 'unassign',
    entity: 'user',
    entityId: user.id,
    tenantId: user.tenant_id,
    details: which,
  });
}
