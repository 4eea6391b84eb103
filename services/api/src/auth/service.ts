import { createHash, randomBytes } from 'node:crypto';
import { hashToken, type Principal } from '@telemetry/auth';
import { AppError } from '@telemetry/contracts';
import { audit } from '../audit.js';
import type { ApiContext } from '../context.js';
import type { SessionInfo } from '../http/authenticate.js';
import { USER_COLUMNS, type UserRow } from '../users/present.js';
import { createUser, findUser } from '../users/service.js';

export interface Session {
  user: UserRow;
  access: { token: string; expiresAt: Date };
  refresh: { token: string; expiresAt: Date };
}

const INVITE_TTL_MS = 7 * 86_400_000;

function principalOf(u: UserRow): Principal {
  return {
    userId: u.id,
    tenantId: u.tenant_id,
    role: u.role,
    setupRequired: u.must_change_password || !u.profile_completed,
  };
}

export function createAuthService(ctx: ApiContext) {
  const { store, passwords, tokens, refreshTokens } = ctx;

  const open = (user: UserRow, refresh: { token: string; expiresAt: Date; familyId: string }): Session => ({
    user,
    access: tokens.signAccess(principalOf(user), { sessionId: refresh.familyId }),
    refresh,
  });

  /** A reused refresh token ended its family: tell realtime whose sockets to re-check. */
  const announceReuse = async (token: string) => {
    const { rows } = await store.pool.query<{ user_id: string }>(
      'SELECT user_id FROM refresh_tokens WHERE token_hash = $1',
      [hashToken(token)],
    );
    const userId = rows[0]?.user_id;
    if (!userId) return;
    await ctx.publish.inTransaction(async (_client, emit) => {
      emit(ctx.publish.revocation({ userId, tenantId: null, reason: 'token_reuse' }));
    });
  };

  return {
    async login(username: string, password: string): Promise<Session> {
      const { rows } = await store.pool.query<UserRow & { password_hash: string }>(
        `SELECT ${USER_COLUMNS}, u.password_hash FROM users u WHERE u.username = $1`,
        [username],
      );
      const row = rows[0];
      const ok = row ? await passwords.verify(password, row.password_hash) : await passwords.verifyDummy(password);
      if (!row || !ok) throw new AppError('UNAUTHENTICATED', 'Invalid username or password');
      const rehash = passwords.needsRehash(row.password_hash) ? await passwords.hash(password) : null;
      await store.pool.query(
        'UPDATE users SET last_login_at = now(), password_hash = coalesce($2, password_hash) WHERE id = $1',
        [row.id, rehash],
      );
      const { password_hash: _, ...user } = row;
      return open(user, await refreshTokens.issue(user.id));
    },

    /** Rotates the refresh token; a reused one revokes its family (see @telemetry/auth). */
    async refresh(token: string): Promise<Session> {
      const issued = await refreshTokens.rotate(token).catch(async (err: unknown) => {
        // reuse revoked the whole family (committed): its open sockets must end too
        if (err instanceof AppError && err.details === 'reused') await announceReuse(token);
        throw err;
      });
      const user = await findUser(store.pool, 'u.id = $1', [issued.userId]);
      if (!user) throw new AppError('TOKEN_INVALID', 'Session ended: sign in again');
      return open(user, issued);
    },

    /** Revokes the refresh family and, when the request carried one, the access token itself. */
    async logout(
      refreshToken: string | undefined,
      session: SessionInfo | undefined,
      principal?: Principal,
    ): Promise<void> {
      const ended = refreshToken ? await refreshTokens.revokeFamilyOf(refreshToken) : undefined;
      await ctx.publish.inTransaction(async (client, emit) => {
        if (session) {
          await client.query(
            `UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1::uuid AND revoked_at IS NULL`,
            [session.sessionId ?? '00000000-0000-0000-0000-000000000000'],
          );
          await client.query(
            `INSERT INTO revoked_access_tokens (jti, expires_at) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
            [session.jti, session.expiresAt],
          );
          // the denylist only needs rows until their tokens would have expired anyway
          await client.query('DELETE FROM revoked_access_tokens WHERE expires_at < now()');
        }
        // open sockets of the ended session are closed at once by realtime (#20)
        const userId = principal?.userId ?? ended;
        if (userId) {
          emit(
            ctx.publish.revocation({
              userId,
              tenantId: principal?.tenantId ?? null,
              reason: 'logout',
              sessionId: session?.sessionId ?? null,
            }),
          );
        }
      });
    },

    async me(userId: string): Promise<UserRow> {
      const user = await findUser(store.pool, 'u.id = $1', [userId]);
      if (!user) throw new AppError('TOKEN_INVALID', 'Session ended: sign in again');
      return user;
    },

    /** Changing the password ends every other session (their refresh families), keeping the caller's. */
    async changePassword(p: Principal, current: string, next: string, session: SessionInfo | undefined): Promise<void> {
      const { rows } = await store.pool.query<{ password_hash: string }>(
        'SELECT password_hash FROM users WHERE id = $1',
        [p.userId],
      );
      const row = rows[0];
      if (!row || !(await passwords.verify(current, row.password_hash))) {
        throw new AppError('VALIDATION_FAILED', 'Current password is wrong', { details: { field: 'currentPassword' } });
      }
      if (current === next) {
        throw new AppError('VALIDATION_FAILED', 'The new password must differ from the current one', {
          details: { field: 'newPassword' },
        });
      }
      const hash = await passwords.hash(next);
      await ctx.publish.inTransaction(async (client, emit) => {
        await client.query(
          'UPDATE users SET password_hash = $2, must_change_password = false, updated_at = now() WHERE id = $1',
          [p.userId, hash],
        );
        emit(ctx.publish.revocation({ userId: p.userId, tenantId: p.tenantId, reason: 'password_changed' }));
        await client.query(
          `UPDATE refresh_tokens SET revoked_at = now()
           WHERE user_id = $1 AND revoked_at IS NULL AND family_id IS DISTINCT FROM $2::uuid`,
          [p.userId, session?.sessionId ?? null],
        );
        await audit(client, p, { action: 'change_password', entity: 'user', entityId: p.userId, tenantId: p.tenantId });
      });
    },

    async completeProfile(
      p: Principal,
      profile: { firstName: string; lastName: string; email: string; phone?: string | null },
    ): Promise<UserRow> {
      return store.withTransaction(async (client) => {
        const user = await findUser(client, 'u.id = $1', [p.userId]);
        if (!user) throw new AppError('TOKEN_INVALID', 'Session ended: sign in again');
        const { rows } = await client.query<UserRow>(
          `UPDATE users u SET first_name = $2, last_name = $3, email = $4, phone = coalesce($5, phone),
             profile_completed = true, updated_at = now()
           WHERE id = $1 RETURNING ${USER_COLUMNS}`,
          [p.userId, profile.firstName, profile.lastName, profile.email, profile.phone ?? null],
        );
        await audit(client, p, {
          action: 'complete_profile',
          entity: 'user',
          entityId: p.userId,
          tenantId: p.tenantId,
        });
        return rows[0] as UserRow;
      });
    },

    async createInvite(
      actor: Principal,
      input: { tenantId: string; role: Principal['role']; email?: string | null },
    ): Promise<{ id: string; token: string; expiresAt: Date }> {
      const token = randomBytes(24).toString('base64url');
      const expiresAt = new Date(ctx.now() + INVITE_TTL_MS);
      return store.withTransaction(async (client) => {
        const { rows } = await client.query<{ id: string }>(
          `INSERT INTO invites (tenant_id, role, email, token_hash, expires_at, created_by)
           VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
          [input.tenantId, input.role, input.email ?? null, sha256(token), expiresAt, actor.userId],
        );
        const id = rows[0]?.id as string;
        await audit(client, actor, {
          action: 'create',
          entity: 'invite',
          entityId: id,
          tenantId: input.tenantId,
          details: { role: input.role },
        });
        return { id, token, expiresAt };
      });
    },

    /** Registration: by invitation (anyone holding the token), else by an admin or manager. */
    async register(
      actor: Principal | undefined,
      input: {
        inviteToken?: string;
        username: string;
        password: string;
        email?: string | null;
        firstName?: string;
        lastName?: string;
        phone?: string | null;
        role?: Principal['role'];
        tenantId?: string | null;
      },
    ): Promise<UserRow> {
      return store.withTransaction(async (client) => {
        if (input.inviteToken) {
          const { rows } = await client.query<{
            id: string;
            tenant_id: string;
            role: Principal['role'];
            email: string | null;
          }>(
            `SELECT id, tenant_id, role, email FROM invites
             WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now() FOR UPDATE`,
            [sha256(input.inviteToken)],
          );
          const invite = rows[0];
          if (!invite) throw new AppError('TOKEN_INVALID', 'Invitation unknown, used or expired');
          const { row } = await createUser(client, passwords, null, {
            username: input.username,
            password: input.password,
            role: invite.role,
            tenantId: invite.tenant_id,
            email: input.email ?? invite.email,
            firstName: input.firstName,
            lastName: input.lastName,
            phone: input.phone,
          });
          await client.query('UPDATE invites SET used_at = now(), used_by = $2 WHERE id = $1', [invite.id, row.id]);
          return row;
        }
        if (!actor)
          throw new AppError('UNAUTHENTICATED', 'Registration needs an invitation token or an admin/manager signed in');
        if (actor.role !== 'admin' && actor.role !== 'manager') {
          throw new AppError('FORBIDDEN', 'Only admins and managers register users');
        }
        const tenantId = actor.tenantId ?? input.tenantId ?? null;
        const { row } = await createUser(client, passwords, actor, {
          username: input.username,
          password: input.password,
          role: input.role ?? 'viewer',
          tenantId,
          email: input.email,
          firstName: input.firstName,
          lastName: input.lastName,
          phone: input.phone,
        });
        return row;
      });
    },
  };
}

export type AuthService = ReturnType<typeof createAuthService>;

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}
