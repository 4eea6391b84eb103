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

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Verifies the JWT (HS256 only, see @telemetry/auth), then reads the user: a deleted user, a
 * logged-out token (its jti revoked), an ended session (its refresh family revoked: logout with
 * another token of it, refresh-token reuse, a password change or reset), a role change or a
 * finished first-login setup take effect at once instead of when the token expires. One indexed
 * query per request.
 */
export function createAuthenticate(deps: AuthenticateDeps): Authenticate {
  const verify = (req: Request) => {
    const found = accessTokenOf(req);
    if (!found) return undefined;
    if (found.fromCookie && UNSAFE.has(req.method)) assertSameOrigin(req, deps.corsOrigins);
    const claims = deps.tokens.verifyAccess(found.token);
    // we sign sid as a uuid (the refresh family); anything else is not one of our sessions
    if (claims.sid !== undefined && !UUID.test(claims.sid)) throw new AppError('TOKEN_INVALID', 'Access token invalid');
    return claims;
  };
  const authenticate = async (req: Request): Promise<Principal | undefined> => {
    const claims = verify(req);
    if (!claims) return undefined;
    const { rows } = await deps.pool.query<{
      tenant_id: string | null;
      role: Principal['role'];
      must_change_password: boolean;
      profile_completed: boolean;
      revoked: boolean;
    }>(
      `SELECT u.tenant_id, u.role, u.must_change_password, u.profile_completed,
              EXISTS (SELECT 1 FROM revoked_access_tokens r WHERE r.jti = $2)
              OR EXISTS (SELECT 1 FROM refresh_tokens t WHERE t.family_id = $3::uuid AND t.revoked_at IS NOT NULL)
                AS revoked
       FROM users u WHERE u.id = $1`,
      [claims.sub, claims.jti, claims.sid ?? null],
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
  return Object.assign(authenticate, { precheck: (req: Request) => verify(req) !== undefined });
}

/**
 * Cookies are sent by the browser on its own, so a cookie-authenticated write must come from
 * our own origin or an allowed one (SameSite=Lax already stops most cross-site posts; this
 * closes the rest). Requests without Origin (curl, server-to-server) are not browser CSRF.
 * `*` in CORS_ORIGINS allows no cookie-authenticated writes: with `*` the API drops CORS
 * credentials altogether (see app.ts), so only explicitly listed origins count here.
 */
function assertSameOrigin(req: Request, allowed: string[]): void {
  if (!isSameOrigin(req, allowed))
    throw new AppError('FORBIDDEN', 'Cross-origin cookie-authenticated request refused: send a Bearer token');
}

/** Whether a request may act with its cookies: no Origin, our own, or one listed in CORS_ORIGINS. */
export function isSameOrigin(req: Request, allowed: string[]): boolean {
  const origin = req.headers.origin;
  if (!origin) return true;
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    return false;
  }
  return host === req.headers.host || allowed.includes(origin);
}

/**
 * Logout and refresh act on the session cookies: from a foreign origin (a page elsewhere the
 * browser sends our cookies for) they are refused outright, not served with the cookie ignored
 * (#20). Without cookies (a bearer or body token), the origin does not matter.
 */
export function assertCookieOrigin(req: Request, allowed: string[]): void {
  const hasSessionCookie =
    readCookie(req, ACCESS_COOKIE) !== undefined || readCookie(req, 'refresh_token') !== undefined;
  if (hasSessionCookie && !isSameOrigin(req, allowed)) {
    throw new AppError('FORBIDDEN', 'Cross-origin request with the session cookies refused (Origin not allowed)');
  }
}
