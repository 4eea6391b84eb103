import type { Principal, Role } from '@telemetry/auth';
import type pg from 'pg';
import { type Keyset, listPage, type Page } from '../http/pagination.js';
import { tenantWhere } from '../scope.js';
import { USER_COLUMNS, type UserRow } from './present.js';

export interface AssignmentRow {
  id: number;
  user_id: string;
  site_id: string | null;
  asset_id: string | null;
  created_at: Date;
}
const ASSIGNMENT_COLUMNS = 'ua.id, ua.user_id, ua.site_id, ua.asset_id, ua.created_at';

type Db = Pick<pg.ClientBase, 'query'>;

/** The users table's SQL (sessions: refresh_tokens; assignments: assignments.ts). */
export interface UserFilter {
  tenantId?: string;
  role?: Role;
  q?: string;
  limit: number;
  cursor?: string;
}

export function selectUsers(db: Db, p: Principal, f: UserFilter): Promise<Page<UserRow>> {
  const params: unknown[] = [];
  const where = [tenantWhere(p, 'u.tenant_id', params)];
  if (f.tenantId) where.push(`u.tenant_id = $${params.push(f.tenantId)}`);
  if (f.role) where.push(`u.role = $${params.push(f.role)}`);
  if (f.q) {
    where.push(
      `(u.username ILIKE $${params.push(`%${f.q}%`)} OR u.first_name ILIKE $${params.length} OR u.last_name ILIKE $${params.length})`,
    );
  }
  const keyset: Keyset = { column: 'u.username', type: 'text', id: 'u.id', direction: 'asc' };
  return listPage(db, { columns: USER_COLUMNS, from: 'users u', where, params, keyset }, f, (r: UserRow) => r);
}

export async function selectUser(db: Db, where: string, params: unknown[]): Promise<UserRow | undefined> {
  const { rows } = await db.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users u WHERE ${where} LIMIT 1`, params);
  return rows[0];
}

export interface UserValues {
  tenantId: string | null;
  username: string;
  email: string | null;
  passwordHash: string;
  role: Role;
  firstName: string;
  lastName: string;
  phone: string | null;
  mustChangePassword: boolean;
  profileCompleted: boolean;
  createdBy: string | null;
}

/** undefined when the username is taken. */
export async function insertUser(db: Db, v: UserValues): Promise<UserRow | undefined> {
  const res = await db.query<UserRow>(
    `INSERT INTO users AS u (tenant_id, username, email, password_hash, role, first_name, last_name, phone,
                             must_change_password, profile_completed, created_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
     ON CONFLICT (username) DO NOTHING
     RETURNING ${USER_COLUMNS}`,
    [
      v.tenantId,
      v.username,
      v.email,
      v.passwordHash,
      v.role,
      v.firstName,
      v.lastName,
      v.phone,
      v.mustChangePassword,
      v.profileCompleted,
      v.createdBy,
    ],
  );
  return res.rows[0];
}

/** Sets what is given; `email`/`phone` undefined = unchanged, null = cleared. */
export async function updateUserRow(
  db: Db,
  id: string,
  v: { role?: Role; email?: string | null; firstName?: string; lastName?: string; phone?: string | null },
): Promise<UserRow> {
  const { rows } = await db.query<UserRow>(
    `UPDATE users u SET role = coalesce($2, role),
       email = CASE WHEN $7 THEN $3 ELSE email END,
       first_name = coalesce($4, first_name), last_name = coalesce($5, last_name),
       phone = CASE WHEN $8 THEN $6 ELSE phone END, updated_at = now()
     WHERE id = $1 RETURNING ${USER_COLUMNS}`,
    [
      id,
      v.role ?? null,
      v.email ?? null,
      v.firstName ?? null,
      v.lastName ?? null,
      v.phone ?? null,
      v.email !== undefined,
      v.phone !== undefined,
    ],
  );
  return rows[0] as UserRow;
}

/** A password set by someone else: the user must change it at next sign-in. */
export async function setTemporaryPassword(db: Db, id: string, hash: string): Promise<void> {
  await db.query('UPDATE users SET password_hash = $2, must_change_password = true, updated_at = now() WHERE id = $1', [
    id,
    hash,
  ]);
}

/** Deletes the user with their assignments and sessions; answers how many of each went. */
export async function deleteUserRows(db: Db, id: string): Promise<{ assignments: number; sessions: number }> {
  const assignments = await db.query('DELETE FROM user_assignments WHERE user_id = $1', [id]);
  const sessions = await db.query('DELETE FROM refresh_tokens WHERE user_id = $1', [id]);
  await db.query('DELETE FROM users WHERE id = $1', [id]);
  return { assignments: assignments.rowCount ?? 0, sessions: sessions.rowCount ?? 0 };
}

export async function selectAssignments(
  db: Db,
  p: Principal,
  f: { userId?: string; assetType?: string; limit: number },
): Promise<AssignmentRow[]> {
  const params: unknown[] = [];
  const where = [tenantWhere(p, 'ua.tenant_id', params)];
  if (f.userId) where.push(`ua.user_id = $${params.push(f.userId)}`);
  if (f.assetType) where.push(`ua.asset_id IN (SELECT id FROM assets WHERE type = $${params.push(f.assetType)})`);
  const { rows } = await db.query<AssignmentRow>(
    `SELECT ${ASSIGNMENT_COLUMNS} FROM user_assignments ua WHERE ${where.join(' AND ')} ORDER BY ua.id LIMIT $${params.push(f.limit)}`,
    params,
  );
  return rows;
}

/** Whether the site or asset is of `tenantId` (an assignment never crosses tenants). */
export async function targetOfTenant(
  db: Db,
  tenantId: string,
  target: { siteId?: string; assetId?: string },
): Promise<boolean> {
  const found = target.siteId
    ? await db.query('SELECT 1 FROM sites WHERE id = $1 AND tenant_id = $2', [target.siteId, tenantId])
    : await db.query('SELECT 1 FROM assets WHERE id = $1 AND tenant_id = $2', [target.assetId, tenantId]);
  return Boolean(found.rowCount);
}

/** undefined when the user is already assigned there. */
export async function insertAssignment(
  db: Db,
  tenantId: string,
  userId: string,
  target: { siteId?: string; assetId?: string },
): Promise<AssignmentRow | undefined> {
  const { rows } = await db.query<AssignmentRow>(
    `INSERT INTO user_assignments AS ua (tenant_id, user_id, site_id, asset_id) VALUES ($1, $2, $3, $4)
     ON CONFLICT DO NOTHING RETURNING ${ASSIGNMENT_COLUMNS}`,
    [tenantId, userId, target.siteId ?? null, target.assetId ?? null],
  );
  return rows[0];
}

/** How many assignments of the user went (by the assignment's id, or by the asset). */
export async function deleteAssignment(
  db: Db,
  userId: string,
  which: { assignmentId: number } | { assetId: string },
): Promise<number> {
  const res =
    'assignmentId' in which
      ? await db.query('DELETE FROM user_assignments WHERE id = $1 AND user_id = $2', [which.assignmentId, userId])
      : await db.query('DELETE FROM user_assignments WHERE asset_id = $1 AND user_id = $2', [which.assetId, userId]);
  return res.rowCount ?? 0;
}
