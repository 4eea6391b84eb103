import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiPath } from '../src/http/openapi.js';
import { crossTenantWalk, startTwoWorlds, type World } from './fixtures.js';
import type { Harness } from './helpers.js';

describe('tenancy, roles and the route table', () => {
  let h: Harness;
  let a: World;
  let b: World;
  beforeAll(async () => {
    ({ h, a, b } = await startTwoWorlds());
  });
  afterAll(async () => h?.close());

  it('refuses every route that takes an id with another tenant’s id: 404, never its data', async () => {
    const { failures, checked } = await crossTenantWalk(h, a, b);
    expect(failures).toEqual([]);
    expect(checked).toBeGreaterThan(40);
  });

  it('scopes lists by tenant; a platform admin sees every tenant', async () => {
    const alphaAssets = await h.req('get', '/api/assets?limit=500', { token: a.tenant.users.admin.token });
    expect(alphaAssets.body.items.every((x: { tenantId: string }) => x.tenantId === a.tenant.id)).toBe(true);
    const root = await h.platformToken();
    const all = await h.req('get', '/api/assets?limit=500', { token: root });
    const tenants = new Set(all.body.items.map((x: { tenantId: string }) => x.tenantId));
    expect(tenants).toEqual(new Set([a.tenant.id, b.tenant.id]));
    const t = await h.req('get', '/api/tenants', { token: root });
    expect(t.body.items.map((x: { name: string }) => x.name).sort()).toEqual(['Alpha', 'Beta']);
    const own = await h.req('get', '/api/tenants', { token: b.tenant.users.viewer.token });
    expect(own.body.items.map((x: { name: string }) => x.name)).toEqual(['Beta']);
    // a platform admin must say which tenant a new asset is for
    const noTenant = await h.req('post', '/api/assets', { token: root, body: { type: 'floor', name: 'F' } });
    expect(noTenant.status).toBe(400);
    const withTenant = await h.req('post', '/api/assets', {
      token: root,
      body: { type: 'floor', name: 'F', tenantId: b.tenant.id },
    });
    expect(withTenant.status).toBe(201);
    // and a tenant user naming another tenant gets 404
    const foreign = await h.req('post', '/api/assets', {
      token: a.tenant.users.admin.token,
      body: { type: 'floor', name: 'F', tenantId: b.tenant.id },
    });
    expect(foreign.status).toBe(404);
  });

  it('shows viewers only what is assigned to them (and its subtree)', async () => {
    const v = a.tenant.users.viewer.token;
    const assets = await h.req('get', '/api/assets?limit=500', { token: v });
    const types = assets.body.items.map((x: { type: string }) => x.type).sort();
    expect(types).toEqual(['dispenser', 'floor', 'pantry']);
    expect((await h.req('get', `/api/assets/${a.ids.machineId}`, { token: v })).status).toBe(404);
    const devices = await h.req('get', '/api/devices', { token: v });
    expect(devices.body.items.map((d: { id: string }) => d.id)).toEqual([a.ids.dispenserDeviceId]);
    const alerts = await h.req('get', '/api/alerts', { token: v });
    expect(alerts.body.items).toHaveLength(1);
    const tasks = await h.req('get', '/api/tasks', { token: v });
    expect(tasks.body.items).toHaveLength(0); // the task is on the machine, not assigned to the viewer
    const sites = await h.req('get', '/api/sites', { token: v });
    expect(sites.body.items).toHaveLength(1);
    // the operator (not a viewer) sees the whole tenant
    const op = await h.req('get', '/api/tasks', { token: a.tenant.users.operator.token });
    expect(op.body.items).toHaveLength(1);
  });

  it('enforces roles server-side', async () => {
    const v = a.tenant.users.viewer.token;
    const o = a.tenant.users.operator.token;
    expect((await h.req('post', '/api/assets', { token: v, body: { type: 'floor', name: 'x' } })).status).toBe(403);
    expect((await h.req('post', '/api/assets', { token: o, body: { type: 'floor', name: 'x' } })).status).toBe(403);
    expect((await h.req('get', '/api/users', { token: o })).status).toBe(403);
    expect((await h.req('get', '/api/rules', { token: v })).status).toBe(403);
    expect((await h.req('get', '/api/audit', { token: a.tenant.users.manager.token })).status).toBe(403);
    expect(
      (await h.req('post', '/api/tenants', { token: a.tenant.users.admin.token, body: { name: 'X' } })).status,
    ).toBe(403);
    const forbidden = await h.req('post', `/api/alerts/${a.ids.alertId}/resolve`, { token: o, body: {} });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body).toMatchObject({ code: 'FORBIDDEN', status: 403 });
  });

  it('deletes a user with assignments and sessions in one transaction, and audits every change', async () => {
    const m = a.tenant.users.manager.token;
    const created = await h.req('post', '/api/users', {
      token: m,
      body: { role: 'viewer', username: 'temp-viewer', password: 'temp-viewer-1' },
    });
    const uid = created.body.user.id as string;
    await h.req('post', `/api/users/${uid}/assignments`, { token: m, body: { assetId: a.ids.floorId } });
    await h.req('post', `/api/users/${uid}/assignments`, { token: m, body: { siteId: a.ids.siteId } });
    const s = await h.req('post', '/api/auth/login', { body: { username: 'temp-viewer', password: 'temp-viewer-1' } });
    const del = await h.req('delete', `/api/users/${uid}`, { token: m });
    expect(del.status).toBe(204);
    const q = (sql: string) => h.test.store.pool.query(sql, [uid]).then((r) => r.rowCount);
    expect(await q('SELECT 1 FROM users WHERE id = $1')).toBe(0);
    expect(await q('SELECT 1 FROM user_assignments WHERE user_id = $1')).toBe(0);
    expect(await q('SELECT 1 FROM refresh_tokens WHERE user_id = $1')).toBe(0);
    expect((await h.req('get', '/api/auth/me', { token: s.body.accessToken })).status).toBe(401);
    expect((await h.req('post', '/api/auth/refresh', { body: { refreshToken: s.body.refreshToken } })).status).toBe(
      401,
    );

    const audit = await h.req('get', `/api/audit?entity=user&entityId=${uid}`, { token: a.tenant.users.admin.token });
    expect(audit.body.items.map((e: { action: string }) => e.action)).toEqual(['delete', 'assign', 'assign', 'create']);
    expect(audit.body.items[0].details).toMatchObject({ assignments: 2 });
    // the audit log of Alpha has no entry of Beta
    const all = await h.req('get', '/api/audit?limit=500', { token: a.tenant.users.admin.token });
    expect(all.body.items.every((e: { tenantId: string }) => e.tenantId === a.tenant.id)).toBe(true);
    expect(all.body.items.length).toBeGreaterThan(10);
  });

  it('paginates lists with a cursor and caps the page size', async () => {
    const m = b.tenant.users.manager.token;
    for (let i = 0; i < 5; i++)
      await h.req('post', '/api/assets', {
        token: m,
        body: { type: 'meter', name: `Meter ${i}`, attributes: { max_consumption: 150, price: 249.99 } },
      });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { items: { id: string }[]; nextCursor: string | null } } = await h.req(
        'get',
        `/api/assets?type=meter&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        { token: m },
      );
      seen.push(...page.body.items.map((x) => x.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    // the five, and the world's energy device (a meter too, test/fixtures.ts)
    expect(seen).toHaveLength(6);
    expect(new Set(seen).size).toBe(6);
    expect((await h.req('get', '/api/assets?limit=100000', { token: m })).status).toBe(400);
    expect((await h.req('get', '/api/assets?cursor=garbage', { token: m })).status).toBe(400);
  });

  it('documents every registered route in OpenAPI and serves /docs offline', async () => {
    const doc = await h.req('get', '/openapi.json');
    expect(doc.body.openapi).toBe('3.1.0');
    const missing = h.api.routes.routes
      .filter((r) => !doc.body.paths[openApiPath(r.path)]?.[r.method])
      .map((r) => `${r.method} ${r.path}`);
    expect(missing).toEqual([]);
    const login = doc.body.paths['/api/auth/login'].post;
    expect(login.requestBody.content['application/json'].schema.required).toEqual(['username', 'password']);
    const html = await h.req('get', '/docs/');
    expect(html.status).toBe(200);
    expect(html.text).toContain('swagger-ui');
    expect(html.text).not.toMatch(/https?:\/\/(cdn|unpkg|cdnjs)/);
    const scripts = [...html.text.matchAll(/src="\.\/([^"]+)"/g)].map((m) => m[1]);
    expect(scripts.length).toBeGreaterThan(0);
    for (const s of scripts) expect((await h.req('get', `/docs/${s}`)).status).toBe(200);
    expect((await h.req('get', '/docs/problems')).text).toContain('VALIDATION_FAILED');
    const unknown = await h.req('get', '/api/nothing-here');
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toContain('problem+json');
  });
});
