import { randomUUID } from 'node:crypto';
import type { TestStore } from '@telemetry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticate, createRevocationCheck } from '../src/auth.js';
import { createDirectory } from '../src/directory.js';
import { JWT_SECRET, tokens, type World } from './fixtures.js';
import { seededStore } from './setup.js';

let db: TestStore;
let w: World;

beforeAll(async () => {
  ({ db, w } = await seededStore());
});

afterAll(async () => {
  await db?.drop();
});

describe('finding 5: the realtime handshake refuses revoked access tokens', () => {
  it('refuses a logged-out token (jti deny-list) and a token of an ended session (refresh family revoked)', async () => {
    const pool = db.store.pool;
    const directory = createDirectory(pool, { ttlMs: 60_000 });
    const isRevoked = createRevocationCheck(pool);
    const principal = { userId: w.users.adminA, tenantId: w.tenantA, role: 'admin' as const, setupRequired: false };
    const check = (token: string) =>
      authenticate(directory, JWT_SECRET, token, Date.now, isRevoked).then(
        () => 'ok',
        (err: { code?: string }) => err.code,
      );

    // a session as the API opens it: a refresh family, the access token carries it as sid
    const family = randomUUID();
    await pool.query(
      `INSERT INTO refresh_tokens (id, family_id, user_id, token_hash, expires_at)
       VALUES ($1, $2, $3, $4, now() + interval '1 day')`,
      [randomUUID(), family, w.users.adminA, `hash-${family}`],
    );
    const inSession = tokens.signAccess(principal, { sessionId: family }).token;
    const loggedOut = tokens.signAccess(principal, { sessionId: family });
    expect(await check(inSession)).toBe('ok');
    expect(await check(loggedOut.token)).toBe('ok');

    // logout of one token: its jti is denied, the rest of the session is ended with its family
    await pool.query(`INSERT INTO revoked_access_tokens (jti, expires_at) VALUES ($1, now() + interval '1 hour')`, [
      loggedOut.jti,
    ]);
    expect(await check(loggedOut.token)).toBe('TOKEN_INVALID');
    expect(await check(inSession)).toBe('ok');
    await pool.query('UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1', [family]);
    expect(await check(inSession)).toBe('TOKEN_INVALID');

    // other sessions and tokens without a session are untouched; a sid that is no uuid is no session of ours
    expect(await check(tokens.signAccess(principal).token)).toBe('ok');
    expect(await check(tokens.signAccess(principal, { sessionId: 'not-a-uuid' }).token)).toBe('TOKEN_INVALID');
  });
});
