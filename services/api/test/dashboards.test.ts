import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTwoWorlds, type World } from './fixtures.js';
import type { Harness } from './helpers.js';

/**
 * Dashboards (#21) over the real API and embedded store: saved with a validated layout, shared in
 * the tenant (everybody reads, managers and admins write), versioned against lost updates,
 * audited, and invisible to another tenant.
 */
describe('dashboards', () => {
  let h: Harness;
  let a: World;
  let b: World;
  beforeAll(async () => {
    ({ h, a, b } = await startTwoWorlds());
  }, 120_000);
  afterAll(async () => h?.close());

  const widgets = (deviceId: string) => [
    { id: 'v', kind: 'latest', position: { x: 0, y: 0, w: 3, h: 2 }, binding: { deviceId, metric: 'reading' } },
    {
      id: 'c',
      kind: 'chart',
      title: 'Reading',
      position: { x: 3, y: 0, w: 9, h: 4 },
      binding: { deviceId, metric: 'reading' },
      options: { rangeMinutes: 1440 },
    },
    { id: 'al', kind: 'alerts', position: { x: 0, y: 4, w: 6, h: 3 }, binding: { deviceId } },
  ];

  it('lets a manager save a layout that every role of the tenant reads, and only managers and admins change', async () => {
    const { manager, viewer, operator, admin } = a.tenant.users;
    const created = await h.req('post', '/api/dashboards', {
      token: manager.token,
      body: { name: 'Machines', layout: { widgets: widgets(a.ids.deviceId as string) } },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'Machines', version: 1, tenantId: a.tenant.id });
    // defaults filled in by the schema
    expect(created.body.layout.widgets[0]).toMatchObject({ title: '', options: { unit: '', decimals: 2 } });
    const path = `/api/dashboards/${created.body.id}`;

    for (const u of [viewer, operator, admin]) {
      const r = await h.req('get', path, { token: u.token });
      expect(r.status).toBe(200);
      expect(r.body.layout.widgets.map((w: { kind: string }) => w.kind)).toEqual(['latest', 'chart', 'alerts']);
    }
    const list = await h.req('get', '/api/dashboards', { token: viewer.token });
    expect(list.body.items.map((d: { name: string }) => d.name)).toContain('Machines');
    expect(list.body.items.find((d: { name: string }) => d.name === 'Machines').widgets).toBe(3);

    // viewers and operators may not edit: refused by the server, and nothing changed
    const body = { name: 'Mine now', layout: { widgets: [] }, version: 1 };
    for (const u of [viewer, operator]) {
      expect((await h.req('put', path, { token: u.token, body })).status).toBe(403);
      expect((await h.req('delete', path, { token: u.token })).status).toBe(403);
      expect((await h.req('post', '/api/dashboards', { token: u.token, body: { name: 'x' } })).status).toBe(403);
    }
    expect((await h.req('get', path, { token: viewer.token })).body.name).toBe('Machines');

    // an admin saves version 1; the manager's save of the same version is a 409, not an overwrite
    const saved = await h.req('put', path, {
      token: admin.token,
      body: { name: 'Machines', layout: { widgets: widgets(a.ids.deviceId as string).slice(0, 2) }, version: 1 },
    });
    expect(saved.status).toBe(200);
    expect(saved.body.version).toBe(2);
    const stale = await h.req('put', path, { token: manager.token, body: { ...body, name: 'Stale' } });
    expect(stale.status).toBe(409);
    expect(stale.body.detail).toMatch(/reload/);

    const { rows } = await h.test.store.pool.query<{ action: string; actor_id: string }>(
      `SELECT action, actor_id FROM audit_log WHERE entity = 'dashboard' AND entity_id = $1 ORDER BY id`,
      [created.body.id],
    );
    expect(rows).toEqual([
      { action: 'create', actor_id: manager.id },
      { action: 'update', actor_id: admin.id },
    ]);

    expect((await h.req('delete', path, { token: manager.token })).status).toBe(204);
    expect((await h.req('get', path, { token: manager.token })).status).toBe(404);
  });

  it('refuses layouts that are malformed, oversized or bound to what the tenant does not have', async () => {
    const m = a.tenant.users.manager.token;
    const post = (layout: unknown, name = `L ${Math.random()}`) =>
      h.req('post', '/api/dashboards', { token: m, body: { name, layout } });
    const w = widgets(a.ids.deviceId as string);
    const bad = [
      { widgets: [{ ...w[0], kind: 'pie' }] },
      { widgets: [{ ...w[0], position: { x: 10, y: 0, w: 4, h: 2 } }] },
      { widgets: [w[0], w[0]] },
      { widgets: Array.from({ length: 25 }, (_, i) => ({ ...w[0], id: `w${i}` })) },
      { widgets: [{ ...w[0], binding: { metric: 'reading' } }] },
      {
        widgets: [
          { id: 'g', kind: 'gauge', position: w[0]?.position, binding: w[0]?.binding, options: { min: 5, max: 1 } },
        ],
      },
    ];
    for (const layout of bad) {
      const r = await post(layout);
      expect(r.status, JSON.stringify(layout).slice(0, 120)).toBe(400);
      expect(r.headers.get('content-type')).toMatch(/problem\+json/);
    }
    // another tenant's device or asset: the same answer as an unknown one (no oracle)
    for (const binding of [{ deviceId: b.ids.deviceId }, { deviceId: 'no-such-device' }, { assetId: b.ids.assetId }]) {
      const r = await post({ widgets: [{ id: 'x', kind: 'alerts', position: w[0]?.position, binding }] });
      expect(r.status).toBe(400);
      expect(r.body.detail).toMatch(/not found/);
      expect(r.text).not.toContain(b.tenant.name);
    }
    expect((await post({ widgets: [] }, 'Twice')).status).toBe(201);
    expect((await post({ widgets: [] }, 'twice')).status).toBe(409);
    // at once: one is created, the other refused visibly (never a 500 from the unique index)
    const racing = await Promise.all([post({ widgets: [] }, 'Race'), post({ widgets: [] }, 'race')]);
    expect(racing.map((r) => r.status).sort()).toEqual([201, 409]);
  });

  it('keeps each tenant’s dashboards to itself', async () => {
    const theirs = await h.req('get', `/api/dashboards/${a.ids.dashboardId}`, { token: b.tenant.users.manager.token });
    expect(theirs.status).toBe(404);
    const list = await h.req('get', '/api/dashboards', { token: b.tenant.users.admin.token });
    expect(list.body.items.map((d: { tenantId: string }) => d.tenantId)).toEqual(
      list.body.items.map(() => b.tenant.id),
    );
    const put = await h.req('put', `/api/dashboards/${a.ids.dashboardId}`, {
      token: b.tenant.users.admin.token,
      body: { name: 'Taken over', version: 1 },
    });
    expect(put.status).toBe(404);
    expect(
      (await h.req('get', `/api/dashboards/${a.ids.dashboardId}`, { token: a.tenant.users.viewer.token })).body.name,
    ).toBe('Alpha overview');
  });
});
