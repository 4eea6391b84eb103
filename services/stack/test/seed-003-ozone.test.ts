import { waitFor } from '@telemetry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Jar, type SeedStack, startSeedStack } from './seed-stack.js';

const MAC = 'EC:E3:34:46:2B:C0';

// Seed 003 (ozone telemetry, Django): its README's QUICK START EXAMPLES replayed as written, the
// session cookie kept as `curl -c cookies.txt` / `-b cookies.txt` do, and the device endpoints
// answering exactly as documented (firmware in the field cannot change).
describe('seed 003: ozone telemetry', () => {
  let s: SeedStack;
  const cookies: Jar = new Map();
  let admin: string;
  let deviceToken: string;
  let outletId: string;
  beforeAll(async () => {
    s = await startSeedStack();
    const t = await s.tenant('Ozone', [{ username: 'ozone-admin', password: 'password-ozone-1', role: 'admin' }]);
    admin = t.users['ozone-admin']?.token as string;
    // the seed's "admin must assign device_id first", done ahead: esp32-001 is expected by its MAC
    const pre = await s.req('post', '/api/devices', {
      token: admin,
      body: { id: 'esp32-001', mac: MAC, deviceType: 'ozone', handshakePolicy: 'mac', legacyHttp: true },
    });
    expect(pre.status).toBe(201);
  }, 120_000);
  afterAll(() => s?.close());

  it('1. signs in with a session cookie, checks it and reads the user', async () => {
    const login = await s.req('post', '/api/auth/login/', {
      jar: cookies,
      body: { username: 'ozone-admin', password: 'password-ozone-1' },
    });
    expect(login.status).toBe(200);
    expect(login.body).toMatchObject({
      success: true,
      user: { username: 'ozone-admin', is_staff: true, is_superuser: false, first_name: 'ozone-admin' },
    });
    expect(cookies.size).toBeGreaterThan(0);
    expect(await s.req('get', '/api/auth/check/', { jar: cookies })).toMatchObject({
      status: 200,
      body: { authenticated: true, user: { username: 'ozone-admin' } },
    });
    expect((await s.req('get', '/api/auth/user/', { jar: cookies })).body).toMatchObject({
      success: true,
      user: { username: 'ozone-admin', email: '' },
    });
  });

  it('2. the device does its handshake and submits a treatment event, idempotently', async () => {
    const hs = await s.req('post', '/api/handshake/', { body: { mac: MAC, firmware: '1.0.0' } });
    expect(hs.status).toBe(200);
    expect(hs.body).toEqual({ device_id: 'esp32-001', token: expect.any(String), assigned: true });
    deviceToken = hs.body.token;
    const event = {
      device_id: 'esp32-001',
      firmware: '1.0.0',
      event_id: 'esp32-001-0000000123',
      event: 'treatment',
      treatment: 'BASIC',
      counter: 124,
      ts: new Date(Date.now() - 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    };
    for (let i = 0; i < 2; i++) {
      const r = await s.req('post', '/api/device/events/', { token: deviceToken, body: event });
      expect(r.status).toBe(200);
      expect(r.body).toEqual({ ack: true, event_id: 'esp32-001-0000000123' });
    }
    // the legacy firmware's form post
    const form = new URLSearchParams({
      mode: 'STANDARD',
      macaddr: MAC,
      type1: '12',
      count1: '7',
      count2: '3',
      count3: '1',
      timestamp: new Date(Date.now() - 30_000).toISOString().slice(0, 19).replace('T', ' '),
      rtc_available: 'true',
      sd_available: 'false',
    });
    const legacy = await s.req('post', '/api/iot/', {
      raw: form.toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(legacy.status).toBe(200);
    expect(legacy.body).toEqual({ status: 'ok' });
  });

  it('4. registers the device as a machine of an outlet and lists machines of the outlet', async () => {
    const outlet = await s.req('post', '/api/outlets/', {
      jar: cookies,
      body: { name: 'Outlet Name', address: 'Address', contact_person: 'Contact Name', is_active: true },
    });
    expect(outlet.status).toBe(201);
    outletId = outlet.body.id;
    const reg = await s.req('post', '/api/machines/register/', {
      jar: cookies,
      body: { device_id: 'esp32-001', outlet_id: outletId, name: 'Machine A' },
    });
    expect(reg.status).toBe(201);
    expect(reg.body).toMatchObject({ name: 'Machine A', outlet: outletId, device_id: 'esp32-001' });
    const machines = await s.req('get', `/api/machines/?outlet_id=${outletId}`, { jar: cookies });
    expect(machines.body.map((m: { name: string }) => m.name)).toEqual(['Machine A']);
    expect((await s.req('get', '/api/machines/unregistered/', { jar: cookies })).body).toEqual([]);
  });

  it('3. shows DeviceStatus, the machine binding and the mode after a JSON heartbeat', async () => {
    const heartbeat = {
      device_id: 'esp32-001',
      firmware: '1.0.0',
      event_id: 'esp32-001-0000000124',
      event: 'status',
      wifi_connected: true,
      rtc_available: true,
      sd_card_available: false,
      uptime_seconds: 3600,
      ts: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    };
    const hb = await s.req('post', '/api/device/events/', { token: deviceToken, body: heartbeat });
    expect(hb.body).toEqual({ ack: true, event_id: 'esp32-001-0000000124' });

    const summary = await waitFor(
      async () => {
        const r = await s.req('get', '/api/telemetry/summary/?device_id=esp32-001', { jar: cookies });
        return r.body.mode === 'status' ? r : undefined;
      },
      { timeoutMs: 10_000, message: 'summary after the heartbeat' },
    );
    expect(summary.status).toBe(200);
    expect(summary.body).toMatchObject({
      device_id: 'esp32-001',
      mode: 'status',
      wifi_connected: true,
      rtc_available: true,
      sd_card_available: false,
      uptime_seconds: 3600,
      device_timestamp: new Date(heartbeat.ts).toISOString(),
      current_count_basic: 7,
      current_count_standard: 3,
      current_count_premium: 1,
      machine_name: 'Machine A',
      outlet_id: outletId,
      machine_device: { device_id: 'esp32-001', is_active: true, deactivated_date: null },
    });
    expect(summary.body.machine_device.assigned_date).toEqual(expect.any(String));

    const online = await s.req('get', '/api/devices/online/', { jar: cookies });
    const dev = online.body.find((d: { device_id: string }) => d.device_id === 'esp32-001');
    expect(dev).toMatchObject({ online: true, wifi_connected: true, uptime_seconds: 3600, machine_name: 'Machine A' });
    expect((await s.req('get', '/api/devices/all/', { jar: cookies })).body).toHaveLength(1);
    const data = await s.req('get', '/api/devices-data/', { jar: cookies });
    expect(data.body).toMatchObject({ total: 1, online: 1 });

    const events = await s.req('get', '/api/events/?device_id=esp32-001&days=7', { jar: cookies });
    const types = events.body.map((e: { event_type: string }) => e.event_type).sort();
    expect(types).toEqual(['BASIC', 'STANDARD', 'status']);
    const noStatus = await s.req('get', '/api/events/?device_id=esp32-001&days=7&exclude_status=true', {
      jar: cookies,
    });
    expect(noStatus.body.map((e: { event_type: string }) => e.event_type).sort()).toEqual(['BASIC', 'STANDARD']);
  });

  it('5. answers statistics, options, CSV; logs out', async () => {
    const stats = await s.req('get', '/api/test/stats/?days=7&granularity=day', { jar: cookies });
    expect(stats.status).toBe(200);
    expect(stats.body).toHaveProperty('labels');
    const options = await s.req('get', '/api/test/stats-options/', { jar: cookies });
    expect(options.status).toBe(200);
    const csv = await s.req('get', '/api/test/stats-export.csv?days=30', { jar: cookies });
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toContain('text/csv');
    const out = await s.req('post', '/api/auth/logout/', { jar: cookies });
    expect(out.body).toEqual({ success: true, message: 'Successfully logged out' });
  });
});
