import { createDeviceRegistry } from '@telemetry/registry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startApi, type TenantFixture } from './helpers.js';

// #14: REST `online` agrees with the gateway's presence (what Socket.IO shows): a device the
// gateway saw drop is offline at once, not after the 5-minute "heard from" window.
let h: Harness;
let t: TenantFixture;

beforeAll(async () => {
  h = await startApi();
  t = await h.tenant('Presence');
});
afterAll(async () => h?.close());

async function online(id: string): Promise<boolean> {
  const r = await h.req('get', `/api/devices/${id}`, { token: t.users.manager.token });
  expect(r.status, r.text).toBe(200);
  return (r.body.device ?? r.body).online as boolean;
}

async function listed(status: 'online' | 'offline'): Promise<string[]> {
  const r = await h.req('get', `/api/devices?status=${status}`, { token: t.users.manager.token });
  return (r.body.items as { id: string }[]).map((d) => d.id);
}

describe('device presence in REST', () => {
  it('is offline as soon as the gateway records the disconnect, online again when heard from after it', async () => {
    const registry = createDeviceRegistry({ pool: h.test.store.pool });
    await registry.lifecycle.preRegister({ tenantId: t.id, deviceId: 'pres-1' });
    expect(await online('pres-1')).toBe(false);

    const connectedAt = new Date();
    await registry.presence.recordPresence([{ deviceId: 'pres-1', gatewayId: 'gw-1', at: connectedAt, online: true }]);
    expect(await online('pres-1')).toBe(true);
    expect(await listed('online')).toContain('pres-1');

    await registry.presence.touch([{ deviceId: 'pres-1', at: new Date() }]);
    await registry.presence.recordPresence([{ deviceId: 'pres-1', gatewayId: 'gw-1', at: new Date(), online: false }]);
    // heard from seconds ago, but the last thing heard was the disconnect
    expect(await online('pres-1')).toBe(false);
    expect(await listed('offline')).toContain('pres-1');
    expect(await listed('online')).not.toContain('pres-1');

    // a reading over HTTP after the disconnect (devices.last_seen_at, as the device routes touch it)
    await new Promise((r) => setTimeout(r, 5));
    await registry.presence.touch([{ deviceId: 'pres-1', at: new Date() }]);
    expect(await online('pres-1')).toBe(true);
  });

  it('keeps a device that never spoke MQTT online within its heard-from window', async () => {
    const registry = createDeviceRegistry({ pool: h.test.store.pool });
    await registry.lifecycle.preRegister({ tenantId: t.id, deviceId: 'pres-http-1' });
    await registry.presence.touch([{ deviceId: 'pres-http-1', at: new Date(Date.now() - 60_000) }]);
    expect(await online('pres-http-1')).toBe(true);
    await h.test.store.pool.query(
      "UPDATE devices SET last_seen_at = now() - interval '1 hour' WHERE id = 'pres-http-1'",
    );
    expect(await online('pres-http-1')).toBe(false);
  });
});
