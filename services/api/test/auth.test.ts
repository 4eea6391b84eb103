import type { AddressInfo } from 'node:net';
import { createMemoryBus } from '@telemetry/bus';
import { loadConfig } from '@telemetry/config';
import { createRegistry, silentLogger } from '@telemetry/observability';
import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi } from '../src/index.js';
import { type Harness, PASSWORD, passwords, startApi, TEST_SECRET, type TenantFixture } from './helpers.js';

function claims(t: TenantFixture, overrides: Record<string, unknown> = {}) {
  const now = Math.floor(Date.now() / 1000);
  return {
    sub: t.users.admin.id,
    tid: t.id,
    role: 'admin',
    typ: 'access',
    jti: 'j-1',
    iat: now,
    exp: now + 600,
    iss: 'telemetry',
    aud: 'telemetry',
    ...overrides,
  };
}
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

describe('auth', () => {
  let h: Harness;
  let acme: TenantFixture;
  beforeAll(async () => {
    h = await startApi();
    acme = await h.tenant('Acme');
  });
  afterAll(async () => h?.close());

  it('signs in, refuses a wrong password with problem+json, and reads the current user', async () => {
    const bad = await h.req('post', '/api/auth/login', { body: { username: 'acme-admin', password: 'nope-nope' } });
    expect(bad.status).toBe(401);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
    expect(bad.body).toMatchObject({ status: 401, code: 'UNAUTHENTICATED', title: 'Authentication required' });
    const unknown = await h.req('post', '/api/auth/login', { body: { username: 'nobody', password: 'nope-nope' } });
    expect(unknown.body.detail).toBe(bad.body.detail);

    const ok = await h.req('post', '/api/auth/login', { body: { username: 'acme-admin', password: PASSWORD } });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({
      tokenType: 'Bearer',
      user: { username: 'acme-admin', role: 'admin', tenantId: acme.id },
    });
    expect(ok.headers.get('set-cookie')).toMatch(/access_token=.*HttpOnly/i);
    const me = await h.req('get', '/api/auth/me', { token: ok.body.accessToken });
    expect(me.body).toMatchObject({ id: acme.users.admin.id, setupRequired: false });
  });

  it('answers validation errors as problem+json with the field errors', async () => {
    const r = await h.req('post', '/api/auth/login', { body: { username: '' } });
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('VALIDATION_FAILED');
    expect(r.body.errors.map((e: { path: string }) => e.path)).toEqual(
      expect.arrayContaining(['body.username', 'body.password']),
    );
    const notJson = await h.req('post', '/api/auth/login', {
      body: '{"username":',
      headers: { 'content-type': 'application/json' },
    });
    expect(notJson.status).toBe(400);
    expect(notJson.body.code).toBe('VALIDATION_FAILED');
  });

  it('refuses missing, expired, tampered, alg=none and foreign-algorithm tokens', async () => {
    expect((await h.req('get', '/api/auth/me')).status).toBe(401);
    const expired = jwt.sign(claims(acme, { exp: Math.floor(Date.now() / 1000) - 10 }), TEST_SECRET, {
      algorithm: 'HS256',
    });
    const r1 = await h.req('get', '/api/auth/me', { token: expired });
    expect(r1.status).toBe(401);
    expect(r1.body.code).toBe('TOKEN_INVALID');
    expect(r1.body.detail).toMatch(/expired/);

    const [head, , sig] = acme.users.viewer.token.split('.');
    const tampered = `${head}.${b64(claims(acme, { sub: acme.users.viewer.id, role: 'admin' }))}.${sig}`;
    expect((await h.req('get', '/api/auth/me', { token: tampered })).status).toBe(401);

    const none = `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims(acme))}.`;
    expect((await h.req('get', '/api/auth/me', { token: none })).status).toBe(401);
    const hs512 = jwt.sign(claims(acme), TEST_SECRET, { algorithm: 'HS512' });
    expect((await h.req('get', '/api/auth/me', { token: hs512 })).status).toBe(401);
    const otherKey = jwt.sign(claims(acme), 'another-secret-of-forty-characters-000000', { algorithm: 'HS256' });
    expect((await h.req('get', '/api/auth/me', { token: otherKey })).status).toBe(401);
    // and a properly signed one is accepted (the forged ones failed for their defects only)
    const good = jwt.sign(claims(acme), TEST_SECRET, { algorithm: 'HS256' });
    expect((await h.req('get', '/api/auth/me', { token: good })).status).toBe(200);
    expect((await h.req('get', '/api/auth/me', { headers: { authorization: 'Basic abc' } })).status).toBe(401);
  });

  it('rotates refresh tokens and revokes the whole family when one is used twice', async () => {
    const login = await h.req('post', '/api/auth/login', { body: { username: 'acme-manager', password: PASSWORD } });
    const first = login.body.refreshToken as string;
    const r1 = await h.req('post', '/api/auth/refresh', { body: { refreshToken: first } });
    expect(r1.status).toBe(200);
    const second = r1.body.refreshToken as string;
    expect(second).not.toBe(first);
    const r2 = await h.req('post', '/api/auth/refresh', { body: { refreshToken: second } });
    expect(r2.status).toBe(200);
    const third = r2.body.refreshToken as string;

    // the first token again: reuse, the family (including the newest token) dies
    const reuse = await h.req('post', '/api/auth/refresh', { body: { refreshToken: first } });
    expect(reuse.status).toBe(401);
    expect(reuse.body.detail).toMatch(/already used/);
    expect((await h.req('post', '/api/auth/refresh', { body: { refreshToken: third } })).status).toBe(401);
    // another login (another family) is untouched
    expect(
      (
        await h.req('post', '/api/auth/refresh', {
          body: {
            refreshToken: (
              await h.req('post', '/api/auth/login', { body: { username: 'acme-manager', password: PASSWORD } })
            ).body.refreshToken,
          },
        })
      ).status,
    ).toBe(200);
  });

  it('logs out: the refresh family and the access token are revoked', async () => {
    const s = (await h.req('post', '/api/auth/login', { body: { username: 'acme-operator', password: PASSWORD } }))
      .body;
    expect((await h.req('get', '/api/auth/me', { token: s.accessToken })).status).toBe(200);
    const out = await h.req('post', '/api/auth/logout', {
      token: s.accessToken,
      body: { refreshToken: s.refreshToken },
    });
    expect(out.body).toEqual({ success: true, message: 'Successfully logged out' });
    expect((await h.req('get', '/api/auth/me', { token: s.accessToken })).status).toBe(401);
    expect((await h.req('post', '/api/auth/refresh', { body: { refreshToken: s.refreshToken } })).status).toBe(401);
  });

  it('a manager creates an operator with generated credentials who must set up first (car-plant seed)', async () => {
    const created = await h.req('post', '/api/users', {
      token: acme.users.manager.token,
      body: { role: 'operator', firstName: 'Olga' },
    });
    expect(created.status).toBe(201);
    const { username, password } = created.body;
    expect(username).toMatch(/^operator-/);
    expect(password).toHaveLength(16);
    expect(created.body.user.mustChangePassword).toBe(true);
    // a manager may not create a manager
    const up = await h.req('post', '/api/users', { token: acme.users.manager.token, body: { role: 'manager' } });
    expect(up.status).toBe(403);

    const s = (await h.req('post', '/api/auth/login', { body: { username, password } })).body;
    expect(s.setupRequired).toBe(true);
    const blocked = await h.req('get', '/api/assets', { token: s.accessToken });
    expect(blocked.status).toBe(403);
    expect(blocked.body.type).toBe('/docs/problems#setup-required');
    expect(blocked.body.detail).toMatch(/change your password .* complete your profile/);

    const wrong = await h.req('post', '/api/auth/password', {
      token: s.accessToken,
      body: { currentPassword: 'x', newPassword: 'new-secret-123' },
    });
    expect(wrong.status).toBe(400);
    expect(
      (
        await h.req('post', '/api/auth/password', {
          token: s.accessToken,
          body: { currentPassword: password, newPassword: 'new-secret-123' },
        })
      ).status,
    ).toBe(204);
    expect((await h.req('get', '/api/assets', { token: s.accessToken })).status).toBe(403); // profile still missing
    const profile = await h.req('put', '/api/auth/profile', {
      token: s.accessToken,
      body: { firstName: 'Olga', lastName: 'Ivanova', email: 'olga@example.com', phone: '+1' },
    });
    expect(profile.status).toBe(200);
    expect((await h.req('get', '/api/assets', { token: s.accessToken })).status).toBe(200);
    // the session survived the password change (its family is kept), the old password is gone
    expect((await h.req('post', '/api/auth/refresh', { body: { refreshToken: s.refreshToken } })).status).toBe(200);
    expect((await h.req('post', '/api/auth/login', { body: { username, password } })).status).toBe(401);
  });

  it('registers by invitation and by an admin; nobody else', async () => {
    const anon = await h.req('post', '/api/auth/register', { body: { username: 'walkin', password: 'walkin-123' } });
    expect(anon.status).toBe(401);
    const byViewer = await h.req('post', '/api/auth/register', {
      token: acme.users.viewer.token,
      body: { username: 'walkin', password: 'walkin-123' },
    });
    expect(byViewer.status).toBe(403);
    const invite = await h.req('post', '/api/invites', {
      token: acme.users.manager.token,
      body: { role: 'viewer', email: 'v@example.com' },
    });
    expect(invite.status).toBe(201);
    const reg = await h.req('post', '/api/auth/register', {
      body: { inviteToken: invite.body.inviteToken, username: 'invited', password: 'invited-123' },
    });
    expect(reg.status).toBe(201);
    expect(reg.body.user).toMatchObject({ role: 'viewer', tenantId: acme.id, email: 'v@example.com' });
    const again = await h.req('post', '/api/auth/register', {
      body: { inviteToken: invite.body.inviteToken, username: 'invited2', password: 'invited-123' },
    });
    expect(again.status).toBe(401);
    const byAdmin = await h.req('post', '/api/auth/register', {
      token: acme.users.admin.token,
      body: { username: 'made-by-admin', password: 'made-by-admin1', role: 'operator' },
    });
    expect(byAdmin.status).toBe(201);
  });

  it('supports the ozone seed curl flow with cookies (login/, check/, user/, logout/)', async () => {
    const login = await h.req('post', '/api/auth/login/', { body: { username: 'acme-admin', password: PASSWORD } });
    expect(login.body).toMatchObject({
      success: true,
      user: { username: 'acme-admin', is_staff: true, is_superuser: false },
    });
    const jar = login.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const check = await h.req('get', '/api/auth/check/', { headers: { cookie: jar } });
    expect(check.body).toMatchObject({ authenticated: true, user: { username: 'acme-admin' } });
    expect((await h.req('get', '/api/auth/check/')).body).toEqual({ authenticated: false });
    const user = await h.req('get', '/api/auth/user/', { headers: { cookie: jar } });
    expect(user.body).toMatchObject({ success: true, user: { email: '', first_name: 'admin' } });
    // a cookie-authenticated write from a foreign origin is refused (CSRF)
    const csrf = await h.req('post', '/api/assets', {
      headers: { cookie: jar, origin: 'http://evil.example' },
      body: { type: 'floor', name: 'x' },
    });
    expect(csrf.status).toBe(403);
    const out = await h.req('post', '/api/auth/logout/', { headers: { cookie: jar } });
    expect(out.body).toMatchObject({ success: true });
    expect((await h.req('get', '/api/auth/check/', { headers: { cookie: jar } })).body.authenticated).toBe(false);
    // simplejwt shape (aggregator seed)
    const pair = await h.req('post', '/api/token/', { body: { username: 'acme-viewer', password: PASSWORD } });
    expect(Object.keys(pair.body).sort()).toEqual(['access', 'refresh']);
    const next = await h.req('post', '/api/token/refresh/', { body: { refresh: pair.body.refresh } });
    expect(next.status).toBe(200);
  });

  it('rate-limits sign-in attempts per client', async () => {
    const api = createApi({
      store: h.test.store,
      bus: createMemoryBus({ partitions: 1 }),
      logger: silentLogger(),
      registry: createRegistry(),
      config: loadConfig({
        NODE_ENV: 'test',
        DATA_DIR: 'memory://',
        JWT_SECRET: TEST_SECRET,
        API_LOGIN_RATE_PER_MIN: '3',
      }),
      passwords,
      deviceRoutes: false,
    });
    const server = api.app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/auth/login`;
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"username":"x","password":"y"}',
      });
      statuses.push(res.status);
      if (res.status === 429) {
        expect(res.headers.get('content-type')).toContain('problem+json');
        expect(res.headers.get('retry-after')).toBeTruthy();
      }
      await res.text();
    }
    server.close();
    await api.close();
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
  });

  it('limits request bodies', async () => {
    const big = JSON.stringify({ username: 'a', password: 'x'.repeat(2_000_000) });
    const r = await h.req('post', '/api/auth/login', { body: big });
    expect(r.status).toBe(413);
    expect(r.body.code).toBe('TELEMETRY_TOO_LARGE');
  });
});
