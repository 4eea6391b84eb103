import {
  canGrantRole,
  generatePassword,
  generateUsername,
  isPlatformAdmin,
  type PasswordHasher,
  type Principal,
  passwordWeakness,
  type RefreshTokens,
  type Role,
} from '@telemetry/auth';
import { AppError } from '@telemetry/contracts';
import type pg from 'pg';
import { z } from 'zod';
import { audit } from '../audit.js';
import type { Page } from '../http/pagination.js';
import type { UserRow } from './present.js';
import {
  deleteUserRows,
  insertUser,
  selectUser,
  selectUsers,
  setTemporaryPassword,
  type UserFilter,
  updateUserRow,
} from './repository.js';

export const username = z
  .string()
  .min(3)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.@-]*$/, 'letters, digits and _ . @ - only, starting with a letter or digit');
/** A chosen password: length and not a common one (@telemetry/auth passwordWeakness, #20). */
export const password = z
  .string()
  .max(256)
  .superRefine((p, ctx) => {
    const weakness = passwordWeakness(p);
    if (weakness) ctx.addIssue({ code: 'custom', message: weakness });
  });

export interface NewUser {
  username?: string;
  password?: string;
  role: Role;
  email?: string | null;
  firstName?: string;
  lastName?: string;
  phone?: string | null;
  /** Where the user goes; a platform admin must say (or null for another platform admin). */
  tenantId: string | null;
}

/**
 * Creates a user. Without username/password they are generated (the car-plant seed: a manager
 * creates operators), returned once, and the user must change the password and complete the
 * profile at first sign-in. Run inside a transaction (the audit row goes with it).
 */
export async function createUser(
  db: pg.ClientBase,
  passwords: PasswordHasher,
  actor: Principal | null,
  input: NewUser,
): Promise<{ row: UserRow; generatedPassword: string | null }> {
  if (actor) {
    if (!canGrantRole(actor.role, input.role)) {
      throw new AppError('FORBIDDEN', `A ${actor.role} may not create a ${input.role}`);
    }
    if (input.tenantId === null && !isPlatformAdmin(actor))
      throw new AppError('FORBIDDEN', 'Only a platform admin creates platform admins');
  }
  if (input.tenantId === null && input.role !== 'admin') {
    throw new AppError('VALIDATION_FAILED', 'A user without tenant must be an admin (platform admin)', {
      details: { field: 'tenantId' },
    });
  }
  const generated = input.password === undefined;
  const plain = input.password ?? generatePassword();
  let name = input.username ?? generateUsername(input.role);
  const hash = await passwords.hash(plain);
  for (let attempt = 0; ; attempt++) {
    const row = await insertUser(db, {
      tenantId: input.tenantId,
      username: name,
      email: input.email ?? null,
      passwordHash: hash,
      role: input.role,
      firstName: input.firstName ?? '',
      lastName: input.lastName ?? '',
      phone: input.phone ?? null,
      mustChangePassword: generated,
      profileCompleted: !generated,
      createdBy: actor?.userId ?? null,
    });
    if (row) {
      await audit(db, actor, {
        action: 'create',
        entity: 'user',
        entityId: row.id,
        tenantId: row.tenant_id,
        details: { username: row.username, role: row.role, generated },
      });
      return { row, generatedPassword: generated ? plain : null };
    }
    if (input.username !== undefined || attempt >= 3) throw new AppError('CONFLICT', `username ${name} is taken`);
    name = generateUsername(input.role);
  }
}

/**
 * Deletes a user, their assignments and every session in ONE transaction (what the energy seed
 * needed a saga for across three services). `db` must be in a transaction.
 */
export async function deleteUser(db: pg.ClientBase, actor: Principal, row: UserRow): Promise<void> {
  const gone = await deleteUserRows(db, row.id);
  await audit(db, actor, {
    action: 'delete',
    entity: 'user',
    entityId: row.id,
    tenantId: row.tenant_id,
    details: { username: row.username, ...gone },
  });
}

/** Users the caller may see, one page. */
export function listUsers(db: Pick<pg.ClientBase, 'query'>, p: Principal, f: UserFilter): Promise<Page<UserRow>> {
  return selectUsers(db, p, f);
}

export function findUser(
  db: Pick<pg.ClientBase, 'query'>,
  where: string,
  params: unknown[],
): Promise<UserRow | undefined> {
  return selectUser(db, where, params);
}

/** An actor may touch a user whose role it could grant (a manager: operators and viewers; never itself upward). */
export function assertCanManage(actor: Principal, target: UserRow): void {
  if (actor.userId === target.id) return;
  if (!canGrantRole(actor.role, target.role))
    throw new AppError('FORBIDDEN', `A ${actor.role} may not change a ${target.role}`);
  if (target.tenant_id === null && !isPlatformAdmin(actor)) throw new AppError('NOT_FOUND', 'user not found');
}

export interface UserPatch {
  role?: Role;
  email?: string | null;
  firstName?: string;
  lastName?: string;
  phone?: string | null;
}

/** Changes a user's role or profile, as the actor may; `db` in a transaction (the audit row goes with it). */
export async function updateUser(
  db: pg.ClientBase,
  actor: Principal,
  target: UserRow,
  patch: UserPatch,
): Promise<UserRow> {
  assertCanManage(actor, target);
  if (patch.role && patch.role !== target.role) {
    if (!canGrantRole(actor.role, patch.role))
      throw new AppError('FORBIDDEN', `A ${actor.role} may not grant ${patch.role}`);
    if (target.id === actor.userId) throw new AppError('FORBIDDEN', 'You may not change your own role');
  }
  const row = await updateUserRow(db, target.id, patch);
  await audit(db, actor, {
    action: 'update',
    entity: 'user',
    entityId: target.id,
    tenantId: target.tenant_id,
    details: { ...patch },
  });
  return row;
}

/**
 * Sets a password someone else generated for `target` (`hash`, computed before the transaction:
 * scrypt must not hold the embedded default's one DB session): they must change it at next
 * sign-in and every session of theirs ends. `db` in a transaction (the audit row goes with it).
 */
export async function resetPassword(
  db: pg.ClientBase,
  refreshTokens: Pick<RefreshTokens, 'revokeAllOfUser'>,
  actor: Principal,
  target: UserRow,
  hash: string,
): Promise<void> {
  assertCanManage(actor, target);
  await setTemporaryPassword(db, target.id, hash);
  await refreshTokens.revokeAllOfUser(target.id, db);
  await audit(db, actor, {
    action: 'reset_password',
    entity: 'user',
    entityId: target.id,
    tenantId: target.tenant_id,
  });
}
