import { waitFor } from '@telemetry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Live, mailTo, type SeedStack, startSeedStack } from './seed-stack.js';

// Seed 000 (dispenser management, Django + simplejwt): its README's endpoints replayed as written
// (URLs without /api, methods, bodies) against the all-in-one stack, through to the low-level
// email (real SMTP server) and the dashboard's live push (Socket.IO).
describe('seed 000: dispenser management', () => {
  let s: SeedStack;
  let admin: string;
  let tenantId: string;
  beforeAll(async () => {
    s = await startSeedStack();
    const t = await s.tenant('Facilities', [{ username: 'fm-admin', password: 'fm-admin-pass-1', role: 'admin' }]);
    admin = t.users['fm-admin']?.token as string;
    tenantId = t.id;
  }, 120_000);
  afterAll(() => s?.close());

  let operator: string;
  it('registers, logs in and refreshes JWTs at /users/...', async () => {
    const reg = await s.req('post', '/users/register/', {
      token: admin,
      body: { username: 'simulator', password: 'simulate-iot-1', email: 'sim@example.com', role: 'operator' },
    });
    expect(reg.status).toBe(201);
    expect(reg.body).toMatchObject({ username: 'simulator', email: 'sim@example.com' });

    // simulate_iot.py: payload = {'username': USERNAME, 'password': PASSWORD}; requests.post(AUTH_URL, json=payload)
    const login = await s.req('post', '/users/login/', { body: { username: 'simulator', password: 'simulate-iot-1' } });
    expect(login.status).toBe(200);
    expect(login.body.access).toMatch(/^ey/);
    expect(login.body.refresh).toEqual(expect.any(String));

    const refreshed = await s.req('get', `/users/token/refresh/?refresh=${encodeURIComponent(login.body.refresh)}`);
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.access).toMatch(/^ey/);
    expect(refreshed.body.refresh).not.toBe(login.body.refresh);
    // the spent refresh token is refused (and, reused, ends its family: sign in again)
    const reused = await s.req('get', `/users/token/refresh/?refresh=${encodeURIComponent(login.body.refresh)}`);
    expect(reused.status).toBe(401);
    expect(reused.headers.get('content-type')).toContain('application/problem+json');
    const again = await s.req('post', '/users/login/', { body: { username: 'simulator', password: 'simulate-iot-1' } });
    operator = again.body.access;
    expect((await s.req('get', '/users/token/refresh/')).status).toBe(401);
  });

  let floor: string;
  let pantry: string;
  let dispenser: string;
  it('manages floors, pantries and dispensers with the filters of the README', async () => {
    const f = await s.req('post', '/floors/', { token: admin, body: { name: 'Floor 3', number: 3 } });
    expect(f.status).toBe(201);
    floor = f.body.id;
    const p = await s.req('post', '/pantries/', { token: admin, body: { name: 'Pantry East', floor } });
    expect(p.status).toBe(201);
    pantry = p.body.id;
    const d = await s.req('post', '/dispensers/', {
      token: admin,
      body: { name: 'Coffee 1', pantry, dispenser_type: 'coffee', capacity: 100, low_level_threshold: 30 },
    });
    expect(d.status).toBe(201);
    expect(d.body).toMatchObject({ name: 'Coffee 1', pantry, dispenser_type: 'coffee', low_level_threshold: 30 });
    dispenser = d.body.id;
    const other = await s.req('post', '/dispensers/', {
      token: admin,
      body: { name: 'Soap 1', pantry, dispenser_type: 'soap' },
    });

    expect((await s.req('get', '/floors/', { token: admin })).body.map((x: { id: string }) => x.id)).toEqual([floor]);
    expect((await s.req('get', `/pantries/?floor=${floor}`, { token: admin })).body).toHaveLength(1);
    const inPantry = await s.req('get', `/dispensers/?pantry=${pantry}`, { token: admin });
    expect(inPantry.body.map((x: { name: string }) => x.name).sort()).toEqual(['Coffee 1', 'Soap 1']);
    expect((await s.req('get', `/dispensers/${dispenser}/`, { token: admin })).body.capacity).toBe(100);
    const put = await s.req('put', `/floors/${floor}/`, { token: admin, body: { name: 'Floor 3', number: 3 } });
    expect(put.status).toBe(200);
    // GET /floors/?user_id=1: the floors a user is assigned to
    const me = await s.req('get', '/api/auth/me', { token: operator });
    expect((await s.req('get', `/floors/?user_id=${me.body.id}`, { token: admin })).body).toEqual([]);
    await s.req('post', `/api/users/${me.body.id}/assignments`, { token: admin, body: { assetId: floor } });
    expect((await s.req('get', `/floors/?user_id=${me.body.id}`, { token: admin })).body).toHaveLength(1);
    const del = await s.req('delete', `/dispensers/${other.body.id}/`, { token: admin });
    expect(del.status).toBe(204);
    expect((await s.req('get', `/dispensers/${other.body.id}/`, { token: admin })).status).toBe(404);
  });

  let live: Live;
  it('mails the dispenser’s location and type when its level falls below ITS threshold, and pushes it live', async () => {
    // the tenant's low-level rule says 20; this dispenser's own threshold is 30 (seed: "its threshold")
    const rule = await s.req('post', '/api/rules', {
      token: admin,
      body: {
        name: 'Dispenser low level',
        kind: 'threshold',
        assetType: 'dispenser',
        metric: 'level',
        operator: '<',
        threshold: 20,
        clearThreshold: 25,
        preset: 'low_level',
      },
    });
    expect(rule.status).toBe(201);
    const rcpt = await s.req('post', '/api/recipients', {
      token: admin,
      body: { email: 'refill@example.com', assetId: floor }, // default cooldown: 15 minutes
    });
    expect(rcpt.status).toBe(201);
    live = await s.live(admin, 'tenant', tenantId);

    // simulate_iot.py: requests.post(f"{DISPENSER_URL}{dispenser_id}/update-level/", json={'current_level': n})
    const ok = await s.req('post', `/dispensers/${dispenser}/update-level/`, {
      token: operator,
      body: { current_level: 25 },
    });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ id: dispenser, current_level: 25, low: true });

    const [mail] = await mailTo(s, 'refill@example.com', /Alert/);
    expect(mail?.subject).toContain('(Coffee 1, Pantry East, Floor 3)');
    expect(mail?.text).toContain('Dispenser: Coffee 1\nType: coffee\n');
    expect(mail?.text).toContain('Floor: Floor 3\nPantry: Pantry East\n');
    expect(mail?.text).toContain('Value: 25 (threshold 30)');
    const pushed = await waitFor(
      () => live.events.find((e) => e.event === 'alert' && (e.data.alert as { change: string }).change === 'opened'),
      { timeoutMs: 10_000, message: 'the alert pushed to the dashboard' },
    );
    expect(pushed.data.alert).toMatchObject({ assetId: dispenser, value: 25, threshold: 30, state: 'open' });
    await waitFor(() =>
      live.events.find((e) => e.event === 'telemetry' && (e.data.metrics as { level?: number }).level === 25),
    );
    expect((await s.req('get', `/dispensers/${dispenser}/`, { token: admin })).body.current_level).toBe(25);
  });

  it('mails the next episode too, minutes after a refill (the cooldown is for repeats within one episode)', async () => {
    const refill = await s.req('post', `/dispensers/${dispenser}/update-level/`, {
      token: operator,
      body: { current_level: 95 },
    });
    expect(refill.body.low).toBe(false);
    await mailTo(s, 'refill@example.com', /Resolved/);
    await s.req('post', `/dispensers/${dispenser}/update-level/`, { token: operator, body: { current_level: 8 } });
    const alerts = await mailTo(s, 'refill@example.com', /\] Alert/, 2);
    expect(alerts[1]?.text).toContain('Value: 8 (threshold 30)');
    await waitFor(
      () =>
        live.events.filter((e) => e.event === 'alert' && (e.data.alert as { change: string }).change === 'opened')
          .length === 2,
    );
    // and a repeat within the episode is no new mail
    await s.req('post', `/dispensers/${dispenser}/update-level/`, { token: operator, body: { current_level: 5 } });
    const r = await s.req('get', `/api/alerts?deviceId=dispenser-${dispenser}`, { token: admin });
    expect(r.body.items.filter((a: { state: string }) => a.state === 'open')).toHaveLength(1);
    expect(s.mail.filter((m) => /\] Alert/.test(m.subject ?? ''))).toHaveLength(2);
  });

  it('answers the Swagger URL of the README', async () => {
    const r = await s.req('get', '/swagger/', { headers: { accept: 'text/html' } });
    expect(r.status).toBe(200);
    expect(r.text).toContain('swagger');
  });

  it('answers an API client at a URL outside /api with problem+json 404; only browser navigation gets the page', async () => {
    for (const accept of [undefined, 'application/json', '*/*']) {
      const r = await s.req('get', '/pantries/123/level/', { headers: accept ? { accept } : {} });
      expect(r.status, String(accept)).toBe(404);
      expect(r.headers.get('content-type')).toContain('application/problem+json');
      expect(r.body).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    }
    // the seed's own prefix-less URLs are aliases, whatever the Accept header
    const floors = await s.req('get', '/floors/', { token: admin, headers: { accept: 'application/json' } });
    expect(floors.status).toBe(200);
    expect(Array.isArray(floors.body)).toBe(true);
    const page = await s.req('get', '/dashboard/somewhere', {
      headers: { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' },
    });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
  });
});
