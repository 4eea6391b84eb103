import type { Principal, TokenService } from '@telemetry/auth';
import { AppError } from '@telemetry/contracts';
import type { Request } from 'express';
import type pg from 'pg';
import type { Authenticate } from './route-table.js';
import { ACCESS_COOKIE, readCookie } from './session-cookies.js';

export interface AuthenticateDeps {
  tokens: TokenService;
  pool: Pick<pg.Pool, 'query'>;
  /** Origins allowed to send cookie-authenticated writes (besides the API's own). */
  corsOrigins: string[];
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The token behind a request's principal: logout revokes its jti, a password change keeps its session. */
export interface SessionInfo {
  jti: string;
  sessionId: string | undefined;
  expiresAt: Date;
}
const sessions = new WeakMap<Request, SessionInfo>();

export function sessionOf(req: Request): SessionInfo | undefined {
  return sessions.get(req);
}

/** The access token of a request: `Authorization: Bearer`, else the httpOnly cookie. */
export function accessTokenOf(req: Request): { token: string; fromCookie: boolean } | undefined {
  const header = req.headers.authorization;
  if (header) {
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (!m?.[1]) throw new AppError('TOKEN_INVALID', 'Authorization header must be "Bearer <token>"');
    return { token: m[1], fromCookie: false };
  }
  const cookie = readCookie(req, ACCESS_COOKIE);
  return cookie ? { token: cookie, fromCookie: true } : undefined;
}

/**
 * Verifies the JWT (HS256 only, see @telemetry/auth), then reads the user: a deleted user, a
 * logged-out token (its jti revoked), a role change or a finished first-login setup take effect
 * at once instead of when the token expires. One indexed query per request.
 */
export function createAuthenticate(deps: AuthenticateDeps): Authenticate {
  return async (req) => {
    const found = accessTokenOf(req);
    if (!found) return undefined;
    if (found.fromCookie && UNSAFE.has(req.method)) assertSameOrigin(req, deps.corsOrigins);
    const claims = deps.tokens.verifyAccess(found.token);
    const { rows } = await deps.pool.query<{
      tenant_id: string | null;
      role: Principal['role'];
      must_change_password: boolean;
      profile_completed: boolean;
      revoked: boolean;
    }>(
      `SELECT u.tenant_id, u.role, u.must_change_password, u.profile_completed,
              EXISTS (SELECT 1 FROM revoked_access_tokens r WHERE r.jti = $2) AS revoked
       FROM users u WHERE u.id = $1`,
      [claims.sub, claims.jti],
    );
    const u = rows[0];
    if (!u || u.revoked) throw new AppError('TOKEN_INVALID', 'Session ended: sign in again');
    sessions.set(req, { jti: claims.jti, sessionId: claims.sid, expiresAt: new Date(claims.exp * 1000) });
    return {
      userId: claims.sub,
      tenantId: u.tenant_id,
      role: u.role,
      setupRequired: u.must_change_password || !u.profile_completed,
    };
  };
}

/**
 * Cookies are sent by the browser on its own, so a cookie-authenticated write must come from
 * our own origin or an allowed one (SameSite=Lax already stops most cross-site posts; this
 * closes the rest). Requests without Origin (curl, server-to-server) are not browser CSRF.
 */
function assertSameOrigin(req: Request, allowed: string[]): void {
  const origin = req.headers.origin;
  if (!origin) return;
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    throw new AppError('FORBIDDEN', 'Cross-origin request refused');
  }
  if (host === req.headers.host || allowed.includes(origin) || allowed.includes('*')) return;
  throw new AppError('FORBIDDEN', 'Cross-origin cookie-authenticated request refused: send a Bearer token');
}
