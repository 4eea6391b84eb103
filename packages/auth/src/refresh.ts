import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { AppError } from '@telemetry/contracts';
import type pg from 'pg';

/**
 * Refresh tokens: opaque random strings (not JWTs: they are only ever checked against the
 * database, and cannot be mistaken for an access token), stored as sha256 (high-entropy
 * secrets need no slow hash). One family per login; each refresh rotates the token. A
 * token presented after it was rotated means it was copied: the whole family is revoked
 * (OAuth 2.0 Security BCP, refresh token rotation with reuse detection).
 */
type Queryable = Pick<pg.ClientBase, 'query'>;

export interface RefreshTokenDeps {
  pool: Queryable;
  withTransaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T>;
  ttlMs: number;
  now?: () => number;
}

export interface IssuedRefreshToken {
  token: string;
  familyId: string;
  expiresAt: Date;
}

export interface RefreshTokens {
  /** A new family (login). `client`: run inside the caller's transaction. */
  issue(userId: string, client?: Queryable): Promise<IssuedRefreshToken>;
  /**
   * Exchanges a valid token for a new one of the same family. A reused, revoked, expired or
   * unknown token throws TOKEN_INVALID; reuse also revokes the family (committed before the throw).
   */
  rotate(token: string): Promise<IssuedRefreshToken & { userId: string }>;
  /** Logout: revokes the token's family. Unknown tokens are ignored. Returns the user id when found. */
  revokeFamilyOf(token: string): Promise<string | undefined>;
  /** Every session of a user (password change, deletion, role change). */
  revokeAllOfUser(userId: string, client?: Queryable): Promise<number>;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function createRefreshTokens(deps: RefreshTokenDeps): RefreshTokens {
  const now = deps.now ?? Date.now;

  const insert = async (client: Queryable, userId: string, familyId: string): Promise<IssuedRefreshToken> => {
    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(now() + deps.ttlMs);
    await client.query(
      `INSERT INTO refresh_tokens (id, family_id, user_id, token_hash, expires_at) VALUES ($1, $2, $3, $4, $5)`,
      [randomUUID(), familyId, userId, hashToken(token), expiresAt],
    );
    return { token, familyId, expiresAt };
  };

  return {
    issue: (userId, client) => insert(client ?? deps.pool, userId, randomUUID()),

    async rotate(token) {
      const outcome = await deps.withTransaction(async (client) => {
        const { rows } = await client.query<{
          family_id: string;
          user_id: string;
          expires_at: Date;
          rotated_at: Date | null;
          revoked_at: Date | null;
        }>(
          `SELECT family_id, user_id, expires_at, rotated_at, revoked_at FROM refresh_tokens
            WHERE token_hash = $1 FOR UPDATE`,
          [hashToken(token)],
        );
        const row = rows[0];
        if (!row) return { error: 'unknown' as const };
        if (row.revoked_at) return { error: 'revoked' as const };
        if (row.rotated_at) {
          await client.query('UPDATE refresh_tokens SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL', [
            row.family_id,
            new Date(now()),
          ]);
          return { error: 'reused' as const };
        }
        if (row.expires_at.getTime() <= now()) return { error: 'expired' as const };
        await client.query('UPDATE refresh_tokens SET rotated_at = $2 WHERE token_hash = $1', [
          hashToken(token),
          new Date(now()),
        ]);
        return { issued: { ...(await insert(client, row.user_id, row.family_id)), userId: row.user_id } };
      });
      if ('error' in outcome) {
        const message =
          outcome.error === 'reused'
            ? 'Refresh token was already used: every session of this login is revoked, sign in again'
            : `Refresh token ${outcome.error}`;
        throw new AppError('TOKEN_INVALID', message, { details: outcome.error });
      }
      return outcome.issued;
    },

    async revokeFamilyOf(token) {
      const { rows } = await deps.pool.query<{ user_id: string }>(
        `UPDATE refresh_tokens SET revoked_at = coalesce(revoked_at, $2)
          WHERE family_id = (SELECT family_id FROM refresh_tokens WHERE token_hash = $1)
          RETURNING user_id`,
        [hashToken(token), new Date(now())],
      );
      return rows[0]?.user_id;
    },

    async revokeAllOfUser(userId, client) {
      const res = await (client ?? deps.pool).query(
        'UPDATE refresh_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL',
        [userId, new Date(now())],
      );
      return res.rowCount ?? 0;
    },
  };
}
