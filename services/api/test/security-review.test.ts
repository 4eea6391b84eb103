import { spawn } from 'node:child_process';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createMemoryBus } from '@telemetry/bus';
import { loadConfig } from '@telemetry/config';
import { createRegistry, silentLogger } from '@telemetry/observability';
import { createTestStore } from '@telemetry/testing';
import { applyTelemetryPolicies } from '@telemetry/timeseries';
import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi, createFirstAdmin } from '../src/index.js';
import { startTwoWorlds, type World } from './fixtures.js';
import { type Harness, PASSWORD, passwords, TEST_SECRET } from './helpers.js';
import { ingest } from './ingest.js';

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const DAY = 86_400_000;

/** Regression tests of the security review: one per finding, named after it. */
describe('security review findings', () => {
  let h: Harness;
  let a: World;
  let b: World;
  beforeAll(async () => {
    ({ h, a, b } = await startTwoWorlds());
  });
  afterAll(async () => h?.close());

  /** Another API on the same store with its own configuration (rate limits, CORS, proxies). */
  async function withApi<T>(env: Record<string, string>, fn: (url: string) => Promise<T>): Promise<T> {
    const api = createApi({
      store: h.test.store,
      bus: createMemoryBus({ partitions: 1 }),
      logger: silentLogger(),
      registry: createRegistry(),
      config: loadConfig({ NODE_ENV: 'test', DATA_DIR: 'memory://', JWT_SECRET: TEST_SECRET, ...env }),
      passwords,
      deviceRoutes: false,
    });
    const server: Server = await new Promise((resolve) => {
      const s = api.app.listen(0, '127.0.0.1', () => resolve(s));
    });
    try {
      return await fn(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    } finally {
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await api.close();
    }
  }

  const session = async (username: string) =>
    (await h.req('post', '/api/auth/login', { body: { username, password: PASSWORD } })).body as {
      accessToken: string;
      refreshToken: string;
    };

  it("finding 1: a tenant user naming another tenant's tenantId in a telemetry query gets 404, not that tenant's data", async () => {
    const m = b.tenant.users.manager.token;
    const from = new Date(Date.now() - 2 * DAY).toISOString();
    const to = new Date(Date.now() + DAY).toISOString();
    for (const path of [
      `/api/telemetry/latest?tenantId=${a.tenant.id}`,
      `/api/telemetry/events?tenantId=${a.tenant.id}`,
      `/api/telemetry/export.csv?tenantId=${a.tenant.id}`,
      `/api/telemetry/aggregate?tenantId=${a.tenant.id}&from=${from}&to=${to}`,
      `/api/telemetry/stats?tenantId=${a.tenant.id}`,
      `/api/telemetry/stats-export.csv?tenantId=${a.tenant.id}`,
      `/api/test/stats/?tenant_id=${a.tenant.id}`,
      `/api/test/stats-export.csv?tenant_id=${a.tenant.id}`,
    ]) {
      const r = await h.req('get', path, { token: m });
      expect(r.status, path).toBe(404);
      expect(r.body.detail, path).toBe('tenant not found');
      expect(r.text, path).not.toContain(a.ids.readingValue);
    }
    // naming its own tenant is fine, and a platform admin names any
    const own = await h.req('get', `/api/telemetry/latest?tenantId=${b.tenant.id}`, { token: m });
    expect(own.status).toBe(200);
    expect(own.text).toContain(b.ids.readingValue);
    const root = await h.req('get', `/api/telemetry/latest?tenantId=${a.tenant.id}`, {
      token: await h.platformToken(),
    });
    expect(root.text).toContain(a.ids.readingValue);
  });

  it("finding 2: a viewer cannot list another user's assignments with ?user_id=", async () => {
    const other = await h.req('post', '/api/users', {
      token: a.tenant.users.manager.token,
      body: { role: 'viewer', username: 'alpha-viewer-2', password: 'alpha-viewer-2' },
    });
    const otherId = other.body.user.id as string;
    await h.req('post', `/api/users/${otherId}/assignments`, {
      token: a.tenant.users.manager.token,
      body: { assetId: a.ids.outletId },
    });
    const viewer2 = await h.login('alpha-viewer-2', 'alpha-viewer-2');
    // the fixture viewer is assigned to a floor; viewer 2 must not learn that
    const peek = await h.req('get', `/api/floors/?user_id=${a.tenant.users.viewer.id}`, { token: viewer2 });
    expect(peek.status).toBe(403);
    expect(peek.text).not.toContain(a.ids.floorId);
    // a viewer may name itself, and a manager anyone of its tenant
    const self = await h.req('get', `/api/floors/?user_id=${a.tenant.users.viewer.id}`, {
      token: a.tenant.users.viewer.token,
    });
    expect(self.body.map((f: { id: string }) => f.id)).toEqual([a.ids.floorId]);
    const byManager = await h.req('get', `/api/floors/?user_id=${a.tenant.users.viewer.id}`, {
      token: a.tenant.users.manager.token,
    });
    expect(byManager.body.map((f: { id: string }) => f.id)).toEqual([a.ids.floorId]);
  });

  it('finding 3: tenant telemetry settings are bounded integers, and one bad tenant cannot stop the retention job', async () => {
    const admin = a.tenant.users.admin.token;
    const patch = (settings: unknown) =>
      h.req('patch', `/api/tenants/${a.tenant.id}`, { token: admin, body: { settings } });
    for (const bad of [1e12, 0, -1, 1.5, '30', 36_501]) {
      const r = await patch({ telemetry: { rawRetentionDays: bad } });
      expect(r.status, String(bad)).toBe(400);
      expect(r.body.errors[0].path).toBe('body.settings.telemetry.rawRetentionDays');
    }
    expect((await patch({ telemetry: { rawRetentionDay: 30 } })).status).toBe(400); // a typo is no silent no-op
    const ok = await patch({ theme: 'dark', telemetry: { rawRetentionDays: 36_500, compressAfterDays: null } });
    expect(ok.status).toBe(200);
    expect(ok.body.settings).toEqual({
      theme: 'dark',
      telemetry: { rawRetentionDays: 36_500, compressAfterDays: null },
    });

    // A row written before the API checked (or by hand) is clamped by the policy job...
    const pool = h.test.store.pool;
    await pool.query(
      `UPDATE tenants SET settings = '{"telemetry": {"rawRetentionDays": 1e12, "eventRetentionDays": 1e12}}' WHERE id = $1`,
      [a.tenant.id],
    );
    // ...and a tenant whose delete fails is reported while the others' retention still runs
    const old = new Date(Date.now() - 40 * DAY).toISOString();
    await ingest(h.test.store, [
      { tenantId: a.tenant.id, deviceId: a.ids.deviceId as string, ts: old, metrics: { reading: 1 } },
      { tenantId: b.tenant.id, deviceId: b.ids.deviceId as string, ts: old, metrics: { reading: 1 } },
    ]);
    await pool.query(`CREATE FUNCTION refuse_delete() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'refused for this test'; END $$`);
    await pool.query(
      `CREATE TRIGGER refuse_alpha BEFORE DELETE ON rollup_1m FOR EACH ROW
       WHEN (OLD.tenant_id = '${a.tenant.id}'::uuid) EXECUTE FUNCTION refuse_delete()`,
    );
    try {
      const report = await applyTelemetryPolicies(pool, {
        timescale: h.test.store.capabilities.timescale,
        lateWindowMs: 7 * DAY,
      });
      if (h.test.store.capabilities.timescale) {
        expect(report.hypertables.telemetry_raw?.dropAfterDays).toBe(36_500);
      }
      expect(report.failures).toEqual([
        { table: 'rollup_1m', tenantId: a.tenant.id, error: expect.stringContaining('refused for this test') },
      ]);
      const left = await pool.query<{ tenant_id: string }>(
        'SELECT DISTINCT tenant_id FROM rollup_1m WHERE bucket < $1',
        [new Date(Date.now() - 30 * DAY)],
      );
      expect(left.rows.map((r) => r.tenant_id)).toEqual([a.tenant.id]);
    } finally {
      await pool.query('DROP TRIGGER refuse_alpha ON rollup_1m');
      await pool.query('DROP FUNCTION refuse_delete()');
      await pool.query(`UPDATE tenants SET settings = '{}' WHERE id = $1`, [a.tenant.id]);
    }
  });

  it('finding 4: logout with an expired or invalid access token still revokes the refresh family', async () => {
    const username = b.tenant.users.operator.username;
    const expired = (userId: string) => {
      const now = Math.floor(Date.now() / 1000);
      return jwt.sign(
        {
          sub: userId,
          tid: b.tenant.id,
          role: 'operator',
          typ: 'access',
          jti: 'j-expired',
          iat: now - 7200,
          exp: now - 3600,
        },
        TEST_SECRET,
        { algorithm: 'HS256', issuer: 'telemetry', audience: 'telemetry' },
      );
    };
    for (const token of [expired(b.tenant.users.operator.id), 'not-a-jwt']) {
      const s = await session(username);
      const out = await h.req('post', '/api/auth/logout', { token, body: { refreshToken: s.refreshToken } });
      expect(out.status).toBe(200);
      expect((await h.req('post', '/api/auth/refresh', { body: { refreshToken: s.refreshToken } })).status).toBe(401);
    }
    // the ozone seed's cookie flow: a stale access cookie, the refresh cookie
    const s = await session(username);
    const cookie = `access_token=stale; refresh_token=${s.refreshToken}`;
    expect((await h.req('post', '/api/auth/logout/', { headers: { cookie } })).status).toBe(200);
    expect((await h.req('post', '/api/auth/refresh', { body: { refreshToken: s.refreshToken } })).status).toBe(401);
    // a foreign page cannot sign the user out nor refresh with the cookie: refused outright (#20)
    const t = await session(username);
    for (const path of ['/api/auth/logout', '/api/auth/refresh', '/api/auth/logout/']) {
      const csrf = await h.req('post', path, {
        headers: { cookie: `refresh_token=${t.refreshToken}`, origin: 'http://evil.example' },
        body: {},
      });
      expect(csrf.status, path).toBe(403);
      expect(csrf.headers.get('content-type')).toMatch(/problem\+json/);
      expect(csrf.body.detail).toMatch(/Cross-origin/);
    }
    expect((await h.req('post', '/api/auth/refresh', { body: { refreshToken: t.refreshToken } })).status).toBe(200);
  });

  it('finding 5: access tokens of a revoked session are refused at once (logout elsewhere, refresh reuse, password change)', async () => {
    const me = (token: string) => h.req('get', '/api/auth/me', { token }).then((r) => r.status);
    const username = 'beta-sessions';
    await h.req('post', '/api/users', {
      token: b.tenant.users.manager.token,
      body: { role: 'viewer', username, password: PASSWORD },
    });

    // logout with the newest access token of a session: its older ones die too
    const s = await session(username);
    const next = (await h.req('post', '/api/auth/refresh', { body: { refreshToken: s.refreshToken } })).body;
    expect(await me(s.accessToken)).toBe(200);
    await h.req('post', '/api/auth/logout', { token: next.accessToken, body: {} });
    expect(await me(s.accessToken)).toBe(401);

    // refresh-token reuse revokes the family: every access token of it
    const r = await session(username);
    const rotated = (await h.req('post', '/api/auth/refresh', { body: { refreshToken: r.refreshToken } })).body;
    expect((await h.req('post', '/api/auth/refresh', { body: { refreshToken: r.refreshToken } })).status).toBe(401);
    expect(await me(r.accessToken)).toBe(401);
    expect(await me(rotated.accessToken)).toBe(401);

    // a password change ends the other sessions, not the caller's
    const other = await session(username);
    const mine = await session(username);
    const changed = await h.req('post', '/api/auth/password', {
      token: mine.accessToken,
      body: { currentPassword: PASSWORD, newPassword: 'viewer-new-secret-1' },
    });
    expect(changed.status).toBe(204);
    expect(await me(other.accessToken)).toBe(401);
    expect(await me(mine.accessToken)).toBe(200);
  });

  it('finding 6: an invalid time zone in the ozone statistics is a 400, also one only the database refuses', async () => {
    const m = a.tenant.users.manager.token;
    const bad = await h.req('get', `/api/test/stats/?device_id=${a.ids.deviceId}&tz=Mars/Olympus_Mons`, { token: m });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].path).toBe('query.tz');
    // Intl (ICU) still knows this one, PostgreSQL's tzdata no longer does (SQLSTATE 22023)
    const dbOnly = await h.req('get', `/api/test/stats/?device_id=${a.ids.deviceId}&tz=US/Pacific-New`, { token: m });
    expect(dbOnly.status).toBe(400);
    expect(dbOnly.body.code).toBe('VALIDATION_FAILED');
    expect(dbOnly.text).not.toContain('not recognized');
    const good = await h.req('get', `/api/test/stats/?device_id=${a.ids.deviceId}&tz=Europe/Berlin`, { token: m });
    expect(good.status).toBe(200);
  });

  it('finding 7: a tampered cursor is a 400, not a database error', async () => {
    const m = a.tenant.users.manager.token;
    for (const [path, cursor] of [
      ['/api/assets', b64(['not a time', 'x'])], // timestamptz keyset
      ['/api/assets', b64(['2024-02-30 10:00:00+00', 'x'])],
      ['/api/audit', b64(['2024-01-01 25:00:00+00', 'x'])],
      ['/api/sites', b64(['a\u0000b', 'x'])], // text keyset: PostgreSQL refuses NUL
      ['/api/tasks', b64([1, 2])],
    ] as const) {
      const r = await h.req('get', `${path}?cursor=${cursor}`, { token: a.tenant.users.admin.token });
      expect(r.status, `${path} ${cursor}`).toBe(400);
      expect(r.body.errors, path).toEqual([{ path: 'cursor', message: 'cursor is not one this API returned' }]);
    }
    // real cursors still work
    const first = await h.req('get', '/api/assets?limit=1', { token: m });
    const second = await h.req('get', `/api/assets?limit=1&cursor=${first.body.nextCursor}`, { token: m });
    expect(second.status).toBe(200);
    expect(second.body.items[0].id).not.toBe(first.body.items[0].id);
  });

  it('finding 9: a generated first-admin password must be changed at first sign-in', async () => {
    const t = await createTestStore('embedded');
    try {
      const admin = await createFirstAdmin(t.store, { passwords });
      expect(admin).toMatchObject({ created: true, username: 'admin', password: expect.any(String) });
      const { rows } = await t.store.pool.query(
        'SELECT must_change_password, profile_completed FROM users WHERE username = $1',
        ['admin'],
      );
      expect(rows[0]).toEqual({ must_change_password: true, profile_completed: true });
      // a chosen password (the CLI's --password) is the operator's own: no forced change
      await t.store.pool.query('DELETE FROM users');
      await createFirstAdmin(t.store, { passwords, password: 'chosen-secret-1' });
      const chosen = await t.store.pool.query('SELECT must_change_password FROM users');
      expect(chosen.rows).toEqual([{ must_change_password: false }]);
    } finally {
      await t.drop();
    }
  });

  it('finding 9: the API prints the generated first-admin password once to stdout, never into its JSON logs', async () => {
    const db = await createTestStore('postgres', { migrate: false });
    const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
    const child = spawn(process.execPath, ['--import', 'tsx', 'services/api/src/main.ts'], {
      cwd: root,
      env: {
        ...process.env,
        NODE_ENV: 'test',
        DATABASE_URL: db.url,
        KAFKA_BROKERS: '',
        DATA_DIR: 'memory://',
        JWT_SECRET: TEST_SECRET,
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: '0',
        METRICS_PORT: '0',
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`api did not start:\n${out}`)), 90_000);
        const check = () => {
          if (out.includes('api listening')) {
            clearTimeout(timer);
            resolve();
          }
        };
        child.stdout.on('data', check);
        child.once('exit', (code) => reject(new Error(`api exited (${code}):\n${out}`)));
      });
      const password = out.match(/First platform admin created: admin \/ (\S+)/)?.[1];
      expect(password, out).toBeTruthy();
      const jsonLines = out.split('\n').filter((l) => l.startsWith('{'));
      expect(jsonLines.length).toBeGreaterThan(0);
      expect(jsonLines.filter((l) => l.includes(password as string))).toEqual([]);
      expect(out.split(password as string)).toHaveLength(2); // once
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve(undefined)));
      await db.drop();
    }
  });

  it('finding 10: sign-in is limited per username and IP (behind TRUST_PROXY), password changes are limited too', async () => {
    const attempt = (url: string, username: string, headers: Record<string, string> = {}) =>
      fetch(`${url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ username, password: 'wrong-password' }),
      }).then(async (r) => {
        await r.text();
        return r.status;
      });
    await withApi({ API_LOGIN_RATE_PER_MIN: '2' }, async (url) => {
      expect([await attempt(url, 'x'), await attempt(url, 'x'), await attempt(url, 'x')]).toEqual([401, 401, 429]);
      // another username from the same address has its own budget
      expect(await attempt(url, 'y')).toBe(401);
      // ...up to the per-address ceiling (10 × the limit), so usernames cannot be sprayed
      const statuses: number[] = [];
      for (let i = 0; i < 20; i++) statuses.push(await attempt(url, `spray-${i}`));
      expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
      // without TRUST_PROXY a client cannot pick its address with X-Forwarded-For
      expect(await attempt(url, 'x', { 'x-forwarded-for': '203.0.113.9' })).toBe(429);
    });
    await withApi({ API_LOGIN_RATE_PER_MIN: '2', TRUST_PROXY: 'loopback' }, async (url) => {
      // behind a trusted proxy each client (X-Forwarded-For) has its own budget
      const one = { 'x-forwarded-for': '203.0.113.1' };
      const two = { 'x-forwarded-for': '203.0.113.2' };
      expect([await attempt(url, 'x', one), await attempt(url, 'x', one), await attempt(url, 'x', one)]).toEqual([
        401, 401, 429,
      ]);
      expect(await attempt(url, 'x', two)).toBe(401);
    });
    expect(() => loadConfig({ TRUST_PROXY: 'everyone' })).toThrow(/TRUST_PROXY/);
    expect(loadConfig({ TRUST_PROXY: '2' }).http.trustProxy).toBe(2);
    expect(loadConfig({}).http.trustProxy).toBe(false);

    await withApi({ API_LOGIN_RATE_PER_MIN: '3' }, async (url) => {
      const token = a.tenant.users.operator.token;
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) {
        const r = await fetch(`${url}/api/auth/password`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ currentPassword: `guess-${i}`, newPassword: 'whatever-123' }),
        });
        await r.text();
        statuses.push(r.status);
      }
      expect(statuses).toEqual([400, 400, 400, 429]);
    });
  });

  it('finding 11: CORS_ORIGINS=* allows no credentials and no cookie-authenticated writes from other origins', async () => {
    const login = await h.req('post', '/api/auth/login', {
      body: { username: a.tenant.users.manager.username, password: PASSWORD },
    });
    const cookie = login.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    await withApi({ CORS_ORIGINS: '*' }, async (url) => {
      const pre = await fetch(`${url}/api/assets`, {
        method: 'OPTIONS',
        headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST' },
      });
      await pre.text();
      expect(pre.headers.get('access-control-allow-origin')).toBe('*');
      expect(pre.headers.get('access-control-allow-credentials')).toBeNull();
      const write = await fetch(`${url}/api/assets`, {
        method: 'POST',
        headers: { cookie, origin: 'http://evil.example', 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'floor', name: 'csrf' }),
      });
      await write.text();
      expect(write.status).toBe(403);
    });
    // a listed origin keeps credentials (a dashboard on another host)
    await withApi({ CORS_ORIGINS: 'http://dash.example' }, async (url) => {
      const r = await fetch(`${url}/api/auth/me`, { headers: { origin: 'http://dash.example', cookie } });
      await r.text();
      expect(r.headers.get('access-control-allow-origin')).toBe('http://dash.example');
      expect(r.headers.get('access-control-allow-credentials')).toBe('true');
    });
  });

  it("finding 12: a manager cannot change an admin's or another manager's assignments", async () => {
    const m = a.tenant.users.manager.token;
    const admin = a.tenant.users.admin;
    const toAdmin = await h.req('post', `/api/users/${admin.id}/assignments`, {
      token: m,
      body: { assetId: a.ids.floorId },
    });
    expect(toAdmin.status).toBe(403);
    const byAdmin = await h.req('post', `/api/users/${admin.id}/assignments`, {
      token: admin.token,
      body: { assetId: a.ids.floorId },
    });
    expect(byAdmin.status).toBe(201);
    const del = await h.req('delete', `/api/users/${admin.id}/assignments/${byAdmin.body.id}`, { token: m });
    expect(del.status).toBe(403);
    const { rowCount } = await h.test.store.pool.query('SELECT 1 FROM user_assignments WHERE id = $1', [
      byAdmin.body.id,
    ]);
    expect(rowCount).toBe(1);
    // operators and viewers are still the manager's to assign
    const toViewer = await h.req('post', `/api/users/${a.tenant.users.viewer.id}/assignments`, {
      token: m,
      body: { siteId: a.ids.siteId },
    });
    expect(toViewer.status).toBe(201);
  });
});
