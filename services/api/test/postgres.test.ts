import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWorld, crossTenantWalk, type World } from './fixtures.js';
import { type Harness, startApi } from './helpers.js';
import { ingest } from './ingest.js';

/** The same API on the machine's PostgreSQL (a database of its own): pool of several connections, no PGlite. */
describe('api on PostgreSQL', () => {
  let h: Harness;
  let a: World;
  let b: World;
  beforeAll(async () => {
    h = await startApi('postgres');
    a = await buildWorld(h, 'PgAlpha');
    b = await buildWorld(h, 'PgBeta');
  });
  afterAll(async () => h?.close());

  it('refuses every id of another tenant', async () => {
    const { failures, checked } = await crossTenantWalk(h, a, b);
    expect(failures).toEqual([]);
    expect(checked).toBeGreaterThan(40);
  });

  it('revokes a refresh family on reuse, also under concurrent refreshes', async () => {
    const login = await h.req('post', '/api/auth/login', {
      body: { username: a.tenant.users.viewer.username, password: 'correct-horse-1' },
    });
    const token = login.body.refreshToken as string;
    // two refreshes of the same token race: exactly one wins, the other is reuse and kills the family
    const [r1, r2] = await Promise.all([
      h.req('post', '/api/auth/refresh', { body: { refreshToken: token } }),
      h.req('post', '/api/auth/refresh', { body: { refreshToken: token } }),
    ]);
    expect([r1.status, r2.status].sort()).toEqual([200, 401]);
    const winner = (r1.status === 200 ? r1 : r2).body.refreshToken as string;
    expect((await h.req('post', '/api/auth/refresh', { body: { refreshToken: winner } })).status).toBe(401);
  });

  it('aggregates and exports on plain PostgreSQL', async () => {
    await ingest(h.test.store, [
      {
        tenantId: a.tenant.id,
        deviceId: a.ids.deviceId as string,
        ts: '2024-05-01T10:01:00Z',
        metrics: { reading: 1 },
      },
      {
        tenantId: a.tenant.id,
        deviceId: a.ids.deviceId as string,
        ts: '2024-05-01T10:02:00Z',
        metrics: { reading: 2 },
      },
      {
        tenantId: a.tenant.id,
        deviceId: a.ids.deviceId as string,
        ts: '2024-05-01T10:07:00Z',
        metrics: { reading: 6 },
      },
    ]);
    const agg = await h.req(
      'get',
      `/api/telemetry/aggregate?deviceId=${a.ids.deviceId}&from=2024-05-01T10:00:00Z&to=2024-05-01T11:00:00Z&bucket=5m&agg=avg`,
      { token: a.tenant.users.manager.token },
    );
    expect(agg.body.items.map((p: { values: { avg: number } }) => p.values.avg)).toEqual([1.5, 6]);
    const day = await h.req(
      'get',
      `/api/telemetry/aggregate?deviceId=${a.ids.deviceId}&from=2024-04-30T00:00:00Z&to=2024-05-03T00:00:00Z&bucket=1d&agg=sum&tz=Europe/Berlin`,
      { token: a.tenant.users.manager.token },
    );
    expect(day.body.items.map((p: { bucket: string; values: { sum: number } }) => [p.bucket, p.values.sum])).toEqual([
      ['2024-04-30T22:00:00.000Z', 9],
    ]);
    const csv = await h.req(
      'get',
      `/api/telemetry/export.csv?deviceId=${a.ids.deviceId}&from=2024-05-01T00:00:00Z&to=2024-05-02T00:00:00Z`,
      {
        token: a.tenant.users.viewer.token,
      },
    );
    expect(csv.status).toBe(404); // the viewer is not assigned to the machine
    const ok = await h.req(
      'get',
      `/api/telemetry/export.csv?deviceId=${a.ids.deviceId}&from=2024-05-01T00:00:00Z&to=2024-05-02T00:00:00Z`,
      {
        token: a.tenant.users.operator.token,
      },
    );
    expect(ok.text.trim().split('\r\n')).toHaveLength(4);
  });
});
