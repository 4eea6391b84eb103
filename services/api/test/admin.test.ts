import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWorld, type World } from './fixtures.js';
import { type Harness, startApi } from './helpers.js';

/**
 * The admin workflows of the dashboard (#21) on the API: deletes that refuse a non-empty site or
 * asset with what is in it, moves in the asset tree, a tenant's settings, and the audit log's
 * filters and paging.
 */
describe('admin workflows', () => {
  let h: Harness;
  let w: World;
  beforeAll(async () => {
    h = await startApi('embedded');
    w = await buildWorld(h, 'Delta');
  });
  afterAll(async () => h?.close());
  const m = () => w.tenant.users.manager.token;
  const admin = () => w.tenant.users.admin.token;

  it('refuses to delete a non-empty site or asset (409, saying what is in it) until emptied or cascaded', async () => {
    const site = await h.req('post', '/api/sites', { token: m(), body: { name: 'Annex', timezone: 'Europe/Berlin' } });
    const hall = await h.req('post', '/api/assets', {
      token: m(),
      body: { type: 'floor', name: 'Hall', siteId: site.body.id },
    });
    const line = await h.req('post', '/api/assets', {
      token: m(),
      body: { type: 'line', name: 'Line 1', parentId: hall.body.id },
    });
    const press = await h.req('post', '/api/assets', {
      token: m(),
      body: { type: 'machine', name: 'Press', parentId: line.body.id },
    });
    expect(press.body.siteId).toBe(site.body.id); // inherited through the tree

    const siteDel = await h.req('delete', `/api/sites/${site.body.id}`, { token: m() });
    expect(siteDel.status).toBe(409);
    expect(siteDel.body).toMatchObject({ code: 'CONFLICT', status: 409 });
    expect(siteDel.body.detail).toContain('Annex still has 3 asset(s)');
    const hallDel = await h.req('delete', `/api/assets/${hall.body.id}`, { token: m() });
    expect(hallDel.status).toBe(409);
    expect(hallDel.body.detail).toContain('Hall is not empty (1 asset(s) under it');

    // move the press up under the hall, out of the line: the line is empty and goes
    const moved = await h.req('patch', `/api/assets/${press.body.id}`, {
      token: m(),
      body: { parentId: hall.body.id },
    });
    expect(moved.body.parentId).toBe(hall.body.id);
    const cycle = await h.req('patch', `/api/assets/${hall.body.id}`, {
      token: m(),
      body: { parentId: press.body.id },
    });
    expect(cycle.status).toBe(409);
    expect((await h.req('delete', `/api/assets/${line.body.id}`, { token: m() })).status).toBe(204);
    expect((await h.req('delete', `/api/assets/${hall.body.id}?cascade=true`, { token: m() })).status).toBe(204);
    expect((await h.req('get', `/api/assets/${press.body.id}`, { token: m() })).status).toBe(404);
    expect((await h.req('delete', `/api/sites/${site.body.id}`, { token: m() })).status).toBe(204);

    // an asset with a device on it is not empty either
    const withDevice = await h.req('delete', `/api/assets/${w.ids.machineId}`, { token: m() });
    expect(withDevice.status).toBe(409);
    expect(withDevice.body.detail).toContain('1 device(s) on it');

    const audit = await h.req('get', `/api/audit?entity=asset&entityId=${press.body.id}`, { token: admin() });
    expect(audit.body.items.map((e: { action: string }) => e.action)).toEqual(['move', 'create']);
    expect(audit.body.items[0].details).toMatchObject({ parentId: hall.body.id, fromParentId: line.body.id });
    expect(audit.body.items[0].actorUsername).toBe(w.tenant.users.manager.username);
  });

  it('renames a site, and refuses a name another site has', async () => {
    const a = await h.req('post', '/api/sites', { token: m(), body: { name: 'North' } });
    await h.req('post', '/api/sites', { token: m(), body: { name: 'South' } });
    const renamed = await h.req('patch', `/api/sites/${a.body.id}`, {
      token: m(),
      body: { name: 'North 2', timezone: 'Europe/Paris' },
    });
    expect(renamed.body).toMatchObject({ name: 'North 2', timezone: 'Europe/Paris' });
    const clash = await h.req('patch', `/api/sites/${a.body.id}`, { token: m(), body: { name: 'South' } });
    expect(clash.status).toBe(409);
  });

  it('keeps the tenant setting operatorsSeeAll, and only admins change the tenant', async () => {
    const t = await h.req('get', `/api/tenants/${w.tenant.id}`, { token: admin() });
    const patched = await h.req('patch', `/api/tenants/${w.tenant.id}`, {
      token: admin(),
      body: { settings: { ...t.body.settings, operatorsSeeAll: true } },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.settings.operatorsSeeAll).toBe(true);
    const byManager = await h.req('patch', `/api/tenants/${w.tenant.id}`, { token: m(), body: { name: 'x' } });
    expect(byManager.status).toBe(403);
    const bad = await h.req('patch', `/api/tenants/${w.tenant.id}`, {
      token: admin(),
      body: { settings: { operatorsSeeAll: 'yes' } },
    });
    expect(bad.status).toBe(400);
  });

  it('filters the audit log by actor, action, resource and time range, paged on the server', async () => {
    const op = w.tenant.users.operator;
    const reset = await h.req('post', `/api/users/${op.id}/reset-password`, { token: m() });
    expect(reset.status).toBe(200);
    expect(
      (await h.req('post', '/api/auth/login', { body: { username: op.username, password: reset.body.password } })).body
        .user,
    ).toMatchObject({ mustChangePassword: true });
    await h.req('patch', `/api/users/${op.id}`, { token: m(), body: { role: 'viewer' } });

    const q = (qs: string) => h.req('get', `/api/audit?${qs}`, { token: admin() });
    const byActor = await q(`actorId=${w.tenant.users.manager.id}&action=reset_password,update&entity=user`);
    expect(byActor.status).toBe(200);
    expect(byActor.body.items.map((e: { action: string }) => e.action)).toEqual(['update', 'reset_password']);
    expect(byActor.body.items.every((e: { entityId: string }) => e.entityId === op.id)).toBe(true);

    const all = await q('limit=500');
    const newest = all.body.items[0].at as string;
    const oldest = all.body.items[all.body.items.length - 1].at as string;
    const none = await q(`from=${encodeURIComponent(new Date(Date.parse(newest) + 1000).toISOString())}`);
    expect(none.body.items).toEqual([]);
    const before = await q(`to=${encodeURIComponent(oldest)}`);
    expect(before.body.items).toEqual([]); // `to` is exclusive
    const inverted = await q(`from=${encodeURIComponent(newest)}&to=${encodeURIComponent(oldest)}`);
    expect(inverted.status).toBe(400);
    expect((await q('action=Not-A-Word')).status).toBe(400);

    // server-side paging: pages of 3 walk the same entries as one page of 500
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { items: { id: string }[]; nextCursor: string | null } } = await q(
        `limit=3${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(page.body.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.body.items.map((e) => e.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all.body.items.map((e: { id: string }) => e.id));
    // a manager reads no audit log
    expect((await h.req('get', '/api/audit', { token: m() })).status).toBe(403);
  });
});
