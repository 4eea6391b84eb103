import { Assignment, CreatedUser, PasswordReset, page, User } from '@telemetry/api-contract';
import { generatePassword, hasPermission, isPlatformAdmin, type Principal, Roles } from '@telemetry/auth';
import { AppError } from '@telemetry/contracts';
import { z } from 'zod';
import type { ApiContext } from '../context.js';
import { mapPage } from '../http/pagination.js';
import type { RouteTable } from '../http/route-table.js';
import { id, pageQuery } from '../http/validation.js';
import { notFound, tenantWhere, writeTenant } from '../scope.js';
import { assignUser, listAssignments, presentAssignment, unassignUser } from './assignments.js';
import { presentUser, type UserRow } from './present.js';
import {
  assertCanManage,
  createUser,
  deleteUser,
  findUser,
  listUsers,
  password,
  resetPassword,
  updateUser,
  username,
} from './service.js';

const UserParams = z.object({ userId: id });
const NewUserBody = z.object({
  /** Omit username and password to generate both (returned once; changed at first sign-in). */
  username: username.optional(),
  password: password.optional(),
  role: z.enum(Roles),
  email: z.email().max(254).optional().nullable(),
  firstName: z.string().max(100).optional(),
  lastName: z.string().max(100).optional(),
  phone: z.string().max(40).optional().nullable(),
  /** Platform admins only: the user's tenant (null: another platform admin). */
  tenantId: id.optional().nullable(),
});
const UpdateUserBody = z.object({
  role: z.enum(Roles).optional(),
  email: z.email().max(254).optional().nullable(),
  firstName: z.string().max(100).optional(),
  lastName: z.string().max(100).optional(),
  phone: z.string().max(40).optional().nullable(),
});

export function registerUserRoutes(table: RouteTable, ctx: ApiContext): void {
  const { store } = ctx;

  /** A user the caller may see: same tenant (platform admin: any); else 404. */
  const load = async (
    p: Principal,
    userId: string,
    db: Parameters<typeof findUser>[0] = store.pool,
  ): Promise<UserRow> => {
    const params: unknown[] = [userId];
    const row = await findUser(db, `u.id = $1 AND ${tenantWhere(p, 'u.tenant_id', params)}`, params);
    if (!row) throw notFound('user');
    return row;
  };

  table.add({
    method: 'get',
    path: '/api/users',
    summary: 'Users of the tenant (platform admin: all, or ?tenantId=)',
    tags: ['users'],
    access: 'users:read',
    query: z.object({
      ...pageQuery,
      role: z.enum(Roles).optional(),
      q: z.string().max(100).optional(),
      tenantId: id.optional(),
    }),
    response: page(User),
    handler: async ({ query, principal }) => mapPage(await listUsers(store.pool, principal, query), presentUser),
  });

  table.add({
    method: 'post',
    path: '/api/users',
    summary:
      'Create a user; without username/password both are generated and returned once (first sign-in must change them)',
    tags: ['users'],
    access: 'users:write',
    body: NewUserBody,
    example: { role: 'operator', firstName: 'Olga' },
    status: 201,
    response: CreatedUser,
    handler: async ({ body, principal }) => {
      const tenantId =
        isPlatformAdmin(principal) && body.tenantId === null ? null : writeTenant(principal, body.tenantId);
      const { row, generatedPassword } = await store.withTransaction((client) =>
        createUser(client, ctx.passwords, principal, { ...body, tenantId }),
      );
      return { user: presentUser(row), username: row.username, password: generatedPassword };
    },
  });

  table.add({
    method: 'get',
    path: '/api/users/:userId',
    summary: 'One user (anyone may read themselves)',
    tags: ['users'],
    access: 'user',
    params: UserParams,
    response: User,
    handler: async ({ params, principal }) => {
      if (params.userId !== principal.userId && !hasPermission(principal.role, 'users:read')) throw notFound('user');
      return presentUser(await load(principal, params.userId));
    },
  });

  table.add({
    method: 'patch',
    path: '/api/users/:userId',
    summary: 'Change a user’s role or profile',
    tags: ['users'],
    access: 'users:write',
    params: UserParams,
    body: UpdateUserBody,
    example: { firstName: 'Olga', lastName: 'Petrova' },
    response: User,
    handler: async ({ params, body, principal }) =>
      ctx.publish.inTransaction(async (client, emit) => {
        const target = await load(principal, params.userId, client);
        if (body.role && body.role !== target.role) {
          // a demoted user's open sockets are narrowed at once (#20)
          emit(ctx.publish.revocation({ userId: target.id, tenantId: target.tenant_id, reason: 'role_changed' }));
        }
        return presentUser(await updateUser(client, principal, target, body));
      }),
  });

  table.add({
    method: 'delete',
    path: '/api/users/:userId',
    summary: 'Delete a user with their assignments and sessions, in one transaction',
    tags: ['users'],
    access: 'users:write',
    params: UserParams,
    status: 204,
    handler: async ({ params, principal }) => {
      if (params.userId === principal.userId) throw new AppError('CONFLICT', 'You may not delete yourself');
      await ctx.publish.inTransaction(async (client, emit) => {
        const target = await load(principal, params.userId, client);
        assertCanManage(principal, target);
        await deleteUser(client, principal, target);
        emit(ctx.publish.revocation({ userId: target.id, tenantId: target.tenant_id, reason: 'user_deleted' }));
      });
    },
  });

  table.add({
    method: 'post',
    path: '/api/users/:userId/reset-password',
    summary: 'Generate a new password (returned once); the user must change it at next sign-in; ends their sessions',
    tags: ['users'],
    access: 'users:write',
    params: UserParams,
    response: PasswordReset,
    handler: async ({ params, principal }) => {
      // hashed before the transaction: scrypt must not hold the embedded default's one DB session
      const plain = generatePassword();
      const hash = await ctx.passwords.hash(plain);
      const target = await ctx.publish.inTransaction(async (client, emit) => {
        const t = await load(principal, params.userId, client);
        await resetPassword(client, ctx.refreshTokens, principal, t, hash);
        emit(ctx.publish.revocation({ userId: t.id, tenantId: t.tenant_id, reason: 'password_reset' }));
        return t;
      });
      return { username: target.username, password: plain };
    },
  });

  registerAssignmentRoutes(table, ctx, load);
}

/** The energy seed's user–device mapping: users assigned to sites or assets; viewers see only those. */
function registerAssignmentRoutes(
  table: RouteTable,
  ctx: ApiContext,
  load: (p: Principal, userId: string, db?: Parameters<typeof findUser>[0]) => Promise<UserRow>,
): void {
  const { store } = ctx;

  table.add({
    method: 'get',
    path: '/api/users/:userId/assignments',
    summary: 'Sites and assets a user is assigned to',
    tags: ['users'],
    access: 'user',
    params: z.object({ userId: id }),
    response: page(Assignment),
    handler: async ({ params, principal }) => {
      if (params.userId !== principal.userId && !hasPermission(principal.role, 'users:read')) throw notFound('user');
      const user = await load(principal, params.userId);
      const rows = await listAssignments(store.pool, principal, { userId: user.id, limit: 1000 });
      return { items: rows.map(presentAssignment), nextCursor: null };
    },
  });

  table.add({
    method: 'post',
    path: '/api/users/:userId/assignments',
    summary: 'Assign a user to a site or an asset (exactly one)',
    tags: ['users'],
    access: 'users:write',
    params: z.object({ userId: id }),
    body: z
      .object({ siteId: id.optional(), assetId: id.optional() })
      .refine((b) => (b.siteId === undefined) !== (b.assetId === undefined), 'give exactly one of siteId and assetId'),
    example: { assetId: '00000000-0000-4000-8000-000000000000' },
    status: 201,
    response: Assignment,
    handler: async ({ params, body, principal }) =>
      store.withTransaction(async (client) => {
        const user = await load(principal, params.userId, client);
        return presentAssignment(await assignUser(client, principal, user, body));
      }),
  });

  table.add({
    method: 'delete',
    path: '/api/users/:userId/assignments/:assignmentId',
    summary: 'Remove an assignment',
    tags: ['users'],
    access: 'users:write',
    params: z.object({ userId: id, assignmentId: z.coerce.number().int().positive() }),
    status: 204,
    handler: async ({ params, principal }) =>
      ctx.publish.inTransaction(async (client, emit) => {
        const user = await load(principal, params.userId, client);
        emit(ctx.publish.revocation({ userId: user.id, tenantId: user.tenant_id, reason: 'unassigned' }));
        await unassignUser(client, principal, user, { assignmentId: params.assignmentId });
      }),
  });
}
