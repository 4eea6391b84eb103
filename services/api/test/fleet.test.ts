import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, type Res, startApi, type TenantFixture } from './helpers.js';

// The fleet table's API (#21): sorted, filtered, keyset-paged and counted device lists, and the
// device workflows behind the table's buttons (delete, bulk move/revoke/delete) per role.

let h: Harness;
let a: TenantFixture;
let b: TenantFixture;
let assetId: string;
const N = 120;

beforeAll(async () => {
  h = await startApi('embedded');
  a = await h.tenant('FleetA');
  b = await h.tenant('FleetB');
  const site = await h.req('post', '/api/sites', {
    token: a.users.manager.token,
    body: { name: 'North', timezone: 'Europe/Berlin' },
  });
  const asset = await h.req('post', '/api/assets', {
    token: a.users.manager.token,
    body: { name: 'Press 1', type: 'machine', siteId: site.body.id, parentId: null },
  });
  assetId = asset.body.id;
  // one statement: the fleet as a bulk provisioning would leave it (names out of id order)
  await h.test.store.pool.query(
    `INSERT INTO devices (id, tenant_id, name, device_type, state)
     SELECT 'fa-' || lpad(i::text, 4, '0'), $1, 'Meter ' || lpad(((i * 37) % $2)::text, 4, '0'),
            CASE WHEN i % 3 = 0 THEN 'ozone' ELSE 'energy' END, 'active'
     FROM generate_series(1, $2) AS i`,
    [a.id, N],
  );
  await h.test.store.pool.query(`INSERT INTO devices (id, tenant_id, name, state) VALUES ('fb-1', $1, 'B', 'active')`, [
    b.id,
  ]);
});

afterAll(async () => h?.close());

async function walk(query: string, token = a.users.manager.token) {
  const seen: { id: string; name: string; deviceType: string }[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 20; i++) {
    const page: Res = await h.req('get', `/api/devices?${query}&limit=25${cursor ? `&cursor=${cursor}` : ''}`, {
      token,
    });
    expect(page.status).toBe(200);
    expect(page.body.items.length).toBeLessThanOrEqual(25);
    seen.push(...page.body.items);
    cursor = page.body.nextCursor;
    if (!cursor) break;
  }
  return seen;
}

describe('GET /api/devices for the fleet table', () => {
  it('pages every device of the tenant once, in name order both ways, and counts them', async () => {
    const asc = await walk('sort=name&dir=asc');
    expect(asc).toHaveLength(N);
    expect(new Set(asc.map((d) => d.id)).size).toBe(N);
    const names = asc.map((d) => d.name);
    expect(names).toEqual([...names].sort());
    const desc = await walk('sort=name&dir=desc');
    expect(desc.map((d) => d.id)).toEqual(asc.map((d) => d.id).reverse());

    const counted = await h.req('get', '/api/devices?count=true&limit=5', { token: a.users.manager.token });
    expect(counted.body).toMatchObject({ total: N, totalExact: true });
    expect(counted.body.items).toHaveLength(5);
  });

  it('filters by type and by literal text, and the count follows the filter', async () => {
    const ozone = await walk('deviceType=ozone&sort=type');
    expect(ozone).toHaveLength(N / 3);
    expect(ozone.every((d) => d.deviceType === 'ozone')).toBe(true);
    const text = await h.req('get', '/api/devices?q=Meter%2000&count=true&limit=500', {
      token: a.users.manager.token,
    });
    expect(text.body.total).toBe(text.body.items.length);
    expect(text.body.items.every((d: { name: string }) => d.name.startsWith('Meter 00'))).toBe(true);
    // `%` is a character to find, not a wildcard
    const pct = await h.req('get', '/api/devices?q=%25&count=true', { token: a.users.manager.token });
    expect(pct.body).toMatchObject({ items: [], total: 0 });
  });

  it('refuses an unknown sort and a foreign cursor as problem+json', async () => {
    const bad = await h.req('get', '/api/devices?sort=firmware', { token: a.users.manager.token });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
    expect(bad.body.code).toBe('VALIDATION_FAILED');
    const first = await h.req('get', '/api/devices?sort=name&limit=2', { token: a.users.manager.token });
    const cross = await h.req('get', `/api/devices?sort=created&cursor=${first.body.nextCursor}`, {
      token: a.users.manager.token,
    });
    expect(cross.status).toBe(400);
  });

  it('never shows another tenant’s devices', async () => {
    const all = await walk('sort=id');
    expect(all.some((d) => d.id === 'fb-1')).toBe(false);
    const other = await h.req('get', '/api/devices?count=true', { token: b.users.viewer.token });
    expect(other.body.total).toBe(0); // a viewer sees only devices of assets assigned to them
  });
});

describe('device workflows by role', () => {
  it('lets a manager move a selection, reporting a foreign id instead of failing the rest', async () => {
    const moved = await h.req('post', '/api/devices/bulk', {
      token: a.users.manager.token,
      body: { action: 'move', deviceIds: ['fa-0001', 'fa-0002', 'fb-1'], assetId },
    });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ succeeded: 2, failed: 1 });
    expect(moved.body.results[2]).toMatchObject({ deviceId: 'fb-1', ok: false, code: 'NOT_FOUND' });
    const placed = await h.req('get', `/api/devices?assetId=${assetId}&count=true`, { token: a.users.manager.token });
    expect(placed.body.total).toBe(2);
    const audit = await h.test.store.pool.query(
      `SELECT count(*)::int AS n FROM audit_log WHERE action = 'bind' AND entity_id IN ('fa-0001', 'fa-0002')`,
    );
    expect(audit.rows[0]?.n).toBe(2);
  });

  it('keeps revoke and delete for admins, in bulk as one by one', async () => {
    for (const token of [a.users.manager.token, a.users.operator.token]) {
      const r = await h.req('post', '/api/devices/bulk', { token, body: { action: 'delete', deviceIds: ['fa-0003'] } });
      expect(r.status).toBe(403);
      expect((await h.req('delete', '/api/devices/fa-0003', { token })).status).toBe(403);
    }
    const op = await h.req('post', '/api/devices/bulk', {
      token: a.users.operator.token,
      body: { action: 'move', deviceIds: ['fa-0003'], assetId },
    });
    expect(op.status).toBe(403);

    const revoked = await h.req('post', '/api/devices/bulk', {
      token: a.users.admin.token,
      body: { action: 'revoke', deviceIds: ['fa-0004', 'fa-0005'] },
    });
    expect(revoked.body).toMatchObject({ succeeded: 2, failed: 0 });
    const list = await h.req('get', '/api/devices?state=revoked&count=true', { token: a.users.admin.token });
    expect(list.body.total).toBe(2);

    expect((await h.req('delete', '/api/devices/fa-0006', { token: a.users.admin.token })).status).toBe(204);
    expect((await h.req('get', '/api/devices/fa-0006', { token: a.users.admin.token })).status).toBe(404);
    expect((await h.req('delete', '/api/devices/fb-1', { token: a.users.admin.token })).status).toBe(404);
    const deleted = await h.req('post', '/api/devices/bulk', {
      token: a.users.admin.token,
      body: { action: 'delete', deviceIds: ['fa-0007', 'fa-0008'] },
    });
    expect(deleted.body).toMatchObject({ succeeded: 2 });
    const after = await h.req('get', '/api/devices?count=true', { token: a.users.admin.token });
    expect(after.body.total).toBe(N - 3);
    const audit = await h.test.store.pool.query(
      `SELECT count(*)::int AS n FROM audit_log WHERE action = 'delete' AND entity = 'device'`,
    );
    expect(audit.rows[0]?.n).toBe(3);
  });

  it('requires an asset to move to', async () => {
    const r = await h.req('post', '/api/devices/bulk', {
      token: a.users.manager.token,
      body: { action: 'move', deviceIds: ['fa-0009'] },
    });
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('VALIDATION_FAILED');
  });
});
