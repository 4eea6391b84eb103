import type { Principal } from '@telemetry/auth';
import { AppError } from '@telemetry/contracts';
import type pg from 'pg';
import { audit } from '../audit.js';
import { notFound } from '../scope.js';
import type { UserRow } from './present.js';
import {
  type AssignmentRow,
  deleteAssignment,
  insertAssignment,
  selectAssignments,
  targetOfTenant,
} from './repository.js';
import { assertCanManage } from './service.js';

type Db = Pick<pg.ClientBase, 'query'>;

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
export function listAssignments(
  db: Db,
  p: Principal,
  f: { userId?: string; assetType?: string; limit: number },
): Promise<AssignmentRow[]> {
  return selectAssignments(db, p, f);
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
  if (!(await targetOfTenant(db, user.tenant_id, target))) throw notFound(target.siteId ? 'site' : 'asset');
  const row = await insertAssignment(db, user.tenant_id, user.id, target);
  if (!row) throw new AppError('CONFLICT', 'already assigned');
  await audit(db, actor, {
    action: 'assign',
    entity: 'user',
    entityId: user.id,
    tenantId: user.tenant_id,
    details: target,
  });
  return row;
}

/** Removes one assignment of `user`, by its id or by the asset; NOT_FOUND when there is none. */
export async function unassignUser(
  db: Db,
  actor: Principal,
  user: UserRow,
  which: { assignmentId: number } | { assetId: string },
): Promise<void> {
  assertCanManage(actor, user);
  if ((await deleteAssignment(db, user.id, which)) === 0) throw notFound('assignment');
  await audit(db, actor, {
    action: 'unassign',
    entity: 'user',
    entityId: user.id,
    tenantId: user.tenant_id,
    details: which,
  });
}
