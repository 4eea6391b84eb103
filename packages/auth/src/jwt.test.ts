import { createHmac } from 'node:crypto';
import { AppError } from '@telemetry/contracts';
import jwt from 'jsonwebtoken';
import { describe, expect, it } from 'vitest';
import { createTokenService, JWT_AUDIENCE, JWT_ISSUER, principalFromClaims, verifyAccessToken } from './jwt.js';
import type { Principal } from './roles.js';

const secret = 'a'.repeat(40);
const principal: Principal = { userId: 'u1', tenantId: 't1', role: 'manager', setupRequired: false };

function b64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function claims(overrides: Record<string, unknown> = {}) {
  const now = Math.floor(Date.now() / 1000);
  return {
    sub: 'u1',
    tid: 't1',
    role: 'admin',
    typ: 'access',
    jti: 'j',
    iat: now,
    exp: now + 60,
    iss: JWT_ISSUER,
    aud: JWT_AUDIENCE,
    ...overrides,
  };
}

function expectInvalid(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('TOKEN_INVALID');
    return;
  }
  throw new Error('expected TOKEN_INVALID');
}

describe('access tokens', () => {
  it('round-trips the principal', () => {
    const tokens = createTokenService({ secret, accessTtlMs: 60_000 });
    const { token } = tokens.signAccess({ ...principal, setupRequired: true });
    const c = tokens.verifyAccess(token);
    expect(principalFromClaims(c)).toEqual({ ...principal, setupRequired: true });
    expect(jwt.decode(token, { complete: true })?.header.alg).toBe('HS256');
  });

  it('refuses an expired token', () => {
    let now = Date.now();
    const tokens = createTokenService({ secret, accessTtlMs: 1000, now: () => now });
    const { token } = tokens.signAccess(principal);
    now += 5000;
    expectInvalid(() => tokens.verifyAccess(token));
  });

  it('refuses alg=none, even with a valid-looking body', () => {
    const token = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims())}.`;
    expectInvalid(() => verifyAccessToken(token, secret));
  });

  it('refuses a tampered payload and a foreign secret', () => {
    const tokens = createTokenService({ secret, accessTtlMs: 60_000 });
    const { token } = tokens.signAccess(principal);
    const [h, , s] = token.split('.');
    const forged = `${h}.${b64url(claims({ role: 'admin', tid: null }))}.${s}`;
    expectInvalid(() => tokens.verifyAccess(forged));
    const other = jwt.sign(claims(), 'b'.repeat(40), { algorithm: 'HS256' });
    expectInvalid(() => tokens.verifyAccess(other));
  });

  it('refuses other HMAC algorithms and hand-made RS256 headers', () => {
    expectInvalid(() => verifyAccessToken(jwt.sign(claims(), secret, { algorithm: 'HS512' }), secret));
    const header = b64url({ alg: 'RS256', typ: 'JWT' });
    const body = b64url(claims());
    const sig = createHmac('sha256', secret).update(`${header}.${body}`).digest('base64url');
    expectInvalid(() => verifyAccessToken(`${header}.${body}.${sig}`, secret));
  });

  it('refuses tokens without the access claims or with the wrong audience', () => {
    expectInvalid(() =>
      verifyAccessToken(jwt.sign(claims({ typ: 'refresh' }), secret, { algorithm: 'HS256' }), secret),
    );
    expectInvalid(() => verifyAccessToken(jwt.sign(claims({ role: 'root' }), secret, { algorithm: 'HS256' }), secret));
    expectInvalid(() => verifyAccessToken(jwt.sign(claims({ aud: 'other' }), secret, { algorithm: 'HS256' }), secret));
  });

  it('accepts tokens of a previous secret during rotation, signs with the new one', () => {
    const old = createTokenService({ secret, accessTtlMs: 60_000 });
    const rotated = createTokenService({ secret: 'n'.repeat(40), previousSecrets: [secret], accessTtlMs: 60_000 });
    expect(rotated.verifyAccess(old.signAccess(principal).token).sub).toBe('u1');
    expectInvalid(() => old.verifyAccess(rotated.signAccess(principal).token));
  });

  it('refuses a short secret', () => {
    expect(() => createTokenService({ secret: 'short', accessTtlMs: 1000 })).toThrow(/32/);
  });
});
