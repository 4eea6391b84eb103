import { type AccessClaims, verifyAccessToken } from '@telemetry/auth';
import { AppError, type ErrorCode } from '@telemetry/contracts';
import type pg from 'pg';
import type { Directory, UserRecord } from './directory.js';

/**
 * Whether an access token was taken back before its expiry: logged out (its jti in the API's
 * deny-list, revoked_access_tokens) or its session ended (its refresh family, `sid`, revoked by a
 * logout, refresh-token reuse, a password change or reset). Read uncached: it is asked once per
 * handshake and per auth:refresh, and a revocation must count at once.
 */
export type RevocationCheck = (claims: AccessClaims) => Promise<boolean>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The API's deny-list and sessions (0001_core.sql), in one query. */
export function createRevocationCheck(pool: Pick<pg.Pool, 'query'>): RevocationCheck {
  return async (claims) => {
    const sid = claims.sid !== undefined && UUID.test(claims.sid) ? claims.sid : null;
    if (claims.sid !== undefined && sid === null) return true; // we sign sid as a uuid: not one of our sessions
    const { rows } = await pool.query<{ revoked: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM revoked_access_tokens r WHERE r.jti = $1)
           OR EXISTS (SELECT 1 FROM refresh_tokens t WHERE t.family_id = $2::uuid AND t.revoked_at IS NOT NULL)
           AS revoked`,
      [claims.jti, sid],
    );
    return rows[0]?.revoked === true;
  };
}

/**
 * Who a socket is: the API's access token (HS256 pinned, issuer/audience checked by
 * @telemetry/auth), not revoked (`isRevoked`: logged out, or its session ended), then the user as
 * the database knows it now. The database wins over the token's claims for role (a demoted user
 * loses rights at once); a user that no longer exists, or moved to another tenant, is refused.
 */
export async function authenticate(
  directory: Directory,
  secret: string,
  token: unknown,
  now: () => number = Date.now,
  isRevoked?: RevocationCheck,
): Promise<{ claims: AccessClaims; user: UserRecord }> {
  if (typeof token !== 'string' || token.length === 0) {
    throw new AppError('UNAUTHENTICATED', 'No access token: connect with { auth: { token } }');
  }
  const claims = verifyAccessToken(token, secret, { now }); // TOKEN_INVALID when bad or expired
  if (claims.setup) {
    throw new AppError('FORBIDDEN', 'Change the password and complete the profile first');
  }
  let user: UserRecord | null;
  let revoked = false;
  try {
    [user, revoked] = await Promise.all([directory.user(claims.sub), isRevoked ? isRevoked(claims) : false]);
  } catch (err) {
    throw new AppError('UNAVAILABLE', 'Cannot check the user now', { retriable: true, cause: err });
  }
  if (revoked) throw new AppError('TOKEN_INVALID', 'Session ended: log in again');
  if (!user || user.tenantId !== claims.tid) {
    throw new AppError('UNAUTHENTICATED', 'This user no longer exists or changed tenant: log in again');
  }
  return { claims, user };
}

/** What a refused handshake carries to the client: `connect_error` with `err.data.code`. */
export function handshakeError(err: unknown): Error & { data: { code: ErrorCode } } {
  const app = err instanceof AppError ? err : new AppError('INTERNAL', 'Handshake failed', { cause: err });
  const message = app.code === 'INTERNAL' ? 'Handshake failed' : app.message;
  return Object.assign(new Error(message), { data: { code: app.code } });
}

/** An ack's error body; internal errors do not leak their message. */
export function ackError(err: unknown): { ok: false; error: { code: string; message: string } } {
  if (err instanceof AppError && err.code !== 'INTERNAL') {
    return { ok: false, error: { code: err.code, message: err.message } };
  }
  return { ok: false, error: { code: 'INTERNAL', message: 'Internal error' } };
}
