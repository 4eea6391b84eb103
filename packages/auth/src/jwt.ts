import { randomUUID } from 'node:crypto';
import { AppError } from '@telemetry/contracts';
import jwt from 'jsonwebtoken';
import { isRole, type Principal, type Role } from './roles.js';

/** Claims of an access token. The realtime gateway reads the same ones. */
export interface AccessClaims {
  /** User id. */
  sub: string;
  /** Tenant id; null for a platform admin. */
  tid: string | null;
  role: Role;
  /** Set while the user must change the password / complete the profile first. */
  setup?: boolean;
  /** Session: the refresh-token family this access token was issued with (logout, password change). */
  sid?: string;
  typ: 'access';
  jti: string;
  iat: number;
  exp: number;
}

export const JWT_ISSUER = 'telemetry';
export const JWT_AUDIENCE = 'telemetry';
/** The only algorithm signed and accepted: `alg: none`, RS/ES (key confusion) and others are refused. */
export const JWT_ALGORITHM = 'HS256' as const;

export interface TokenServiceOptions {
  /** HMAC secret, at least 32 characters. */
  secret: string;
  /** Secrets that signed tokens still in circulation (secret rotation): accepted, never used to sign. */
  previousSecrets?: string[];
  accessTtlMs: number;
  /** For tests: the clock, in ms. */
  now?: () => number;
}

export interface TokenService {
  signAccess(principal: Principal, options?: { sessionId?: string }): { token: string; expiresAt: Date; jti: string };
  /** Verifies signature (HS256 only), issuer, audience, expiry and claim shapes; TOKEN_INVALID otherwise. */
  verifyAccess(token: string): AccessClaims;
}

export function createTokenService(options: TokenServiceOptions): TokenService {
  if (options.secret.length < 32) throw new Error('JWT secret must be at least 32 characters');
  const now = options.now ?? Date.now;
  const secrets = [options.secret, ...(options.previousSecrets ?? [])];
  return {
    signAccess(principal, opts = {}) {
      const iat = Math.floor(now() / 1000);
      const exp = iat + Math.max(1, Math.floor(options.accessTtlMs / 1000));
      const jti = randomUUID();
      const claims: Omit<AccessClaims, 'iat' | 'exp'> & { iat: number; exp: number } = {
        sub: principal.userId,
        tid: principal.tenantId,
        role: principal.role,
        ...(principal.setupRequired ? { setup: true } : {}),
        ...(opts.sessionId ? { sid: opts.sessionId } : {}),
        typ: 'access',
        jti,
        iat,
        exp,
      };
      const token = jwt.sign(claims, options.secret, {
        algorithm: JWT_ALGORITHM,
        issuer: JWT_ISSUER,
        audience: JWT_AUDIENCE,
        noTimestamp: true, // iat is in the claims already, from the injectable clock
      });
      return { token, expiresAt: new Date(exp * 1000), jti };
    },
    verifyAccess(token) {
      let lastError: unknown;
      for (const secret of secrets) {
        try {
          return verifyAccessToken(token, secret, { now });
        } catch (err) {
          lastError = err;
          // Only a bad signature may succeed with an older secret; expiry etc. will not.
          if (!(err instanceof AppError) || !String(err.details ?? '').includes('signature')) break;
        }
      }
      throw lastError;
    },
  };
}

/**
 * Verifies an access token with one secret. Exported for services that only verify (the
 * realtime gateway): same pinned algorithm, issuer, audience and claim checks.
 */
export function verifyAccessToken(token: string, secret: string, opts: { now?: () => number } = {}): AccessClaims {
  let decoded: unknown;
  try {
    decoded = jwt.verify(token, secret, {
      algorithms: [JWT_ALGORITHM],
      issuer: JWT_ISSUER,
      audience: JWT_AUDIENCE,
      clockTimestamp: Math.floor((opts.now ?? Date.now)() / 1000),
    });
  } catch (err) {
    const reason = err instanceof jwt.TokenExpiredError ? 'expired' : (err as Error).message;
    throw new AppError('TOKEN_INVALID', reason === 'expired' ? 'Access token expired' : 'Access token invalid', {
      cause: err,
      details: reason,
    });
  }
  const c = decoded as Partial<AccessClaims> | string;
  if (
    typeof c !== 'object' ||
    c.typ !== 'access' ||
    typeof c.sub !== 'string' ||
    !(c.tid === null || typeof c.tid === 'string') ||
    !isRole(c.role) ||
    typeof c.exp !== 'number' ||
    typeof c.jti !== 'string'
  ) {
    throw new AppError('TOKEN_INVALID', 'Access token invalid', { details: 'claims' });
  }
  return c as AccessClaims;
}

export function principalFromClaims(c: AccessClaims): Principal {
  return { userId: c.sub, tenantId: c.tid, role: c.role, setupRequired: c.setup === true };
}
