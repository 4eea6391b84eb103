import { type AccessClaims, verifyAccessToken } from '@telemetry/auth';
import { AppError, type ErrorCode } from '@telemetry/contracts';
import type { Directory, UserRecord } from './directory.js';

/**
 * Who a socket is: the API's access token (HS256 pinned, issuer/audience checked by
 * @telemetry/auth), then the user as the database knows it now. The database wins over the
 * token's claims for role (a demoted user loses rights at once); a user that no longer exists,
 * or moved to another tenant, is refused.
 */
export async function authenticate(
  directory: Directory,
  secret: string,
  token: unknown,
  now: () => number = Date.now,
): Promise<{ claims: AccessClaims; user: UserRecord }> {
  if (typeof token !== 'string' || token.length === 0) {
    throw new AppError('UNAUTHENTICATED', 'No access token: connect with { auth: { token } }');
  }
  const claims = verifyAccessToken(token, secret, { now }); // TOKEN_INVALID when bad or expired
  if (claims.setup) {
    throw new AppError('FORBIDDEN', 'Change the password and complete the profile first');
  }
  let user: UserRecord | null;
  try {
    user = await directory.user(claims.sub);
  } catch (err) {
    throw new AppError('UNAVAILABLE', 'Cannot check the user now', { retriable: true, cause: err });
  }
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
