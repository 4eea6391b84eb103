import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startApi, type TenantFixture } from './helpers.js';

// The device edge flags end to end: the whole API with the device endpoints mounted, as in
// production, an admin setting the flags, the device endpoints obeying them.

let h: Harness;
let a: TenantFixture;
let b: TenantFixture;

beforeAll(async () => {
  h = await startApi('embedded', { deviceRoutes: undefined, env: { DEVICE_MAX_PENDING: '2' } });
  a = await h.tenant('EdgeA');
  b = await h.tenant('EdgeB');
});

afterAll(async () => h?.close());

const handshake = (mac: string, headers: Record<string, string> = {}) =>
  h.req('post', '/api/handshake/', { body: { mac, firmware: '1.0.0' }, headers });

describe('device edge flags (admin API)', () => {
  it("pre-registers with handshake policy 'proof' by default; an admin switches a legacy device to 'mac'", async () => {
    const admin = a.users.admin.token;
    const created = await h.req('post', '/api/devices', {
      token: admin,
      body: { id: 'edge-a1', mac: 'AA:EE:00:00:00:01' },
    });
    expect(created.status).toBe(201);
    expect(created.body.edgePolicy).toEqual({ handshakePolicy: 'proof', legacyHttp: false, canRelay: false });

    expect((await handshake('AA:EE:00:00:00:01')).status).toBe(200); // first claim
    const again = await handshake('AA:EE:00:00:00:01'); // someone else who knows the MAC, or seed firmware
    expect(again.status).toBe(403);
    expect(again.body).toMatchObject({ code: 'FORBIDDEN' });

    // the firmware cannot prove anything: the admin accepts the seed's risk for this device
    const set = await h.req('post', '/api/devices/edge-a1/edge-policy', {
      token: admin,
      body: { handshakePolicy: 'mac' },
    });
    expect(set.body).toEqual({ deviceId: 'edge-a1', handshakePolicy: 'mac', legacyHttp: false, canRelay: false });
    expect((await handshake('AA:EE:00:00:00:01')).status).toBe(200);

    const legacy = await h.req('post', '/api/devices', {
      token: admin,
      body: { id: 'edge-a2', handshakePolicy: 'mac', legacyHttp: true, canRelay: true },
    });
    expect(legacy.body.edgePolicy).toEqual({ handshakePolicy: 'mac', legacyHttp: true, canRelay: true });
  });

  it('lets only admins of the device’s tenant set the flags, and audits it', async () => {
    await h.req('post', '/api/devices', { token: a.users.admin.token, body: { id: 'edge-a3' } });
    const manager = await h.req('post', '/api/devices/edge-a3/edge-policy', {
      token: a.users.manager.token,
      body: { canRelay: true },
    });
    expect(manager.status).toBe(403);
    const foreign = await h.req('post', '/api/devices/edge-a3/edge-policy', {
      token: b.users.admin.token,
      body: { canRelay: true },
    });
    expect(foreign.status).toBe(404);
    const bad = await h.req('post', '/api/devices/edge-a3/edge-policy', {
      token: a.users.admin.token,
      body: { handshakePolicy: 'anything' },
    });
    expect(bad.status).toBe(400);
    const ok = await h.req('post', '/api/devices/edge-a3/edge-policy', {
      token: a.users.admin.token,
      body: { canRelay: true, legacyHttp: true },
    });
    expect(ok.body).toMatchObject({ handshakePolicy: 'proof', legacyHttp: true, canRelay: true });
    const { rows } = await h.test.store.pool.query(
      "SELECT details FROM audit_log WHERE action = 'edge_policy' AND entity_id = 'edge-a3'",
    );
    expect(rows).toEqual([{ details: { canRelay: true, legacyHttp: true } }]);
  });

  it('caps pending devices at DEVICE_MAX_PENDING', async () => {
    expect((await handshake('AA:EE:00:00:01:01')).status).toBe(200);
    expect((await handshake('AA:EE:00:00:01:02')).status).toBe(200);
    const third = await handshake('AA:EE:00:00:01:03');
    expect(third.status).toBe(429);
    expect(third.body).toMatchObject({ code: 'RATE_LIMITED' });
  });
});
