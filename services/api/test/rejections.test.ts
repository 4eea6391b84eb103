import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startApi, type TenantFixture } from './helpers.js';

// #14: GET /api/devices/{id}/rejections (paged, tenant-scoped) and /api/rejections/summary.
let h: Harness;
let a: TenantFixture;
let b: TenantFixture;

async function device(t: TenantFixture, id: string): Promise<void> {
  const r = await h.req('post', '/api/devices', { token: t.users.admin.token, body: { id } });
  expect(r.status, r.text).toBe(201);
}

async function reject(
  tenantId: string,
  deviceId: string,
  reason: string,
  atMsAgo: number,
  excerpt = 'x',
): Promise<void> {
  await h.test.store.pool.query(
    `INSERT INTO device_rejections (tenant_id, device_id, reason, detail, source, channel, excerpt, payload_bytes,
                                    received_at, dedupe_key)
     VALUES ($1, $2, $3, 'why', 'mqtt', $4, $5, length($5), now() - make_interval(secs => $6::float8 / 1000), gen_random_uuid()::text)`,
    [tenantId, deviceId, reason, `devices/${deviceId}/telemetry`, excerpt, atMsAgo],
  );
  await h.test.store.pool.query(
    `INSERT INTO device_rejection_counts (tenant_id, device_id, reason, count, first_at, last_at)
     VALUES ($1, $2, $3, 1, now(), now())
     ON CONFLICT (tenant_id, device_id, reason) DO UPDATE SET count = device_rejection_counts.count + 1`,
    [tenantId, deviceId, reason],
  );
}

beforeAll(async () => {
  h = await startApi();
  a = await h.tenant('RejA');
  b = await h.tenant('RejB');
  await device(a, 'rej-a1');
  await device(a, 'rej-a2');
  await device(b, 'rej-b1');
  for (let i = 0; i < 5; i++) await reject(a.id, 'rej-a1', i % 2 ? 'acl_denied' : 'not_json', 1000 * (i + 1), `p${i}`);
  await reject(a.id, 'rej-a2', 'too_late', 2 * 86_400_000);
  await reject(b.id, 'rej-b1', 'id_conflict', 1000);
});
afterAll(async () => h?.close());

describe('rejections API', () => {
  it('pages a device’s rejections newest first, filters by reason', async () => {
    const token = a.users.manager.token;
    const first = await h.req('get', '/api/devices/rej-a1/rejections?limit=3', { token });
    expect(first.status, first.text).toBe(200);
    expect(first.body.items.map((r: { excerpt: string }) => r.excerpt)).toEqual(['p0', 'p1', 'p2']);
    expect(first.body.items[0]).toMatchObject({
      deviceId: 'rej-a1',
      reason: 'not_json',
      source: 'mqtt',
      channel: 'devices/rej-a1/telemetry',
      payloadBytes: 2,
    });
    const second = await h.req('get', `/api/devices/rej-a1/rejections?limit=3&cursor=${first.body.nextCursor}`, {
      token,
    });
    expect(second.body.items.map((r: { excerpt: string }) => r.excerpt)).toEqual(['p3', 'p4']);
    expect(second.body.nextCursor).toBeNull();
    const acl = await h.req('get', '/api/devices/rej-a1/rejections?reason=acl_denied', { token });
    expect(acl.body.items.map((r: { excerpt: string }) => r.excerpt)).toEqual(['p1', 'p3']);
  });

  it('is tenant-scoped: another tenant’s device is not found, its rejections never counted', async () => {
    const other = await h.req('get', '/api/devices/rej-b1/rejections', { token: a.users.manager.token });
    expect(other.status).toBe(404);
    const s = await h.req('get', '/api/rejections/summary', { token: a.users.manager.token });
    expect(s.status, s.text).toBe(200);
    expect(s.body).toMatchObject({
      tenantId: a.id,
      total: 5,
      byReason: [
        { reason: 'not_json', count: 3 },
        { reason: 'acl_denied', count: 2 },
      ],
      byDevice: [{ deviceId: 'rej-a1', count: 5, byReason: { not_json: 3, acl_denied: 2 } }],
    });
    // all-time totals include the one older than the 24 h window
    expect(s.body.allTime).toEqual([
      { reason: 'not_json', count: 3 },
      { reason: 'acl_denied', count: 2 },
      { reason: 'too_late', count: 1 },
    ]);
    const week = await h.req(
      'get',
      `/api/rejections/summary?since=${new Date(Date.now() - 7 * 86_400_000).toISOString()}`,
      {
        token: a.users.manager.token,
      },
    );
    expect(week.body.byDevice.map((d: { deviceId: string }) => d.deviceId)).toEqual(['rej-a1', 'rej-a2']);
    const sb = await h.req('get', '/api/rejections/summary', { token: b.users.viewer.token });
    // a viewer sees only devices of assets assigned to them: none here
    expect(sb.body.total).toBe(0);
    const sbm = await h.req('get', '/api/rejections/summary', { token: b.users.manager.token });
    expect(sbm.body.byReason).toEqual([{ reason: 'id_conflict', count: 1 }]);
  });
});
