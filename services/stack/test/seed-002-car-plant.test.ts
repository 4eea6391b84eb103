import { waitFor } from '@telemetry/testing';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mailTo, type SeedStack, startSeedStack } from './seed-stack.js';

const MAC = '02:CA:00:00:00:01';

// Seed 002 (car-plant analytics, Django + channels): its README describes flows rather than
// requests; each is replayed through the stack: admins add managers, managers generate operators
// who set up at first sign-in, machine data is stored only on change (deadband per device type,
// set through the API), pushed live, and alerts and tasks reach the people working on the machine.
describe('seed 002: car-plant machines, alerts and tasks', () => {
  let s: SeedStack;
  let tenantId: string;
  let admin: string;
  let manager: string;
  let machineId: string;
  let deviceToken: string;
  const ops: { id: string; token: string; email: string }[] = [];
  beforeAll(async () => {
    s = await startSeedStack();
    const t = await s.tenant('Plant', [{ username: 'plant-admin', password: 'plant-admin-pass', role: 'admin' }]);
    tenantId = t.id;
    admin = t.users['plant-admin']?.token as string;
  }, 120_000);
  afterAll(() => s?.close());

  it('admins add managers; managers generate operators, who change the password and complete the profile first', async () => {
    const m = await s.req('post', '/api/users', {
      token: admin,
      body: { username: 'maria', password: 'manager-pass-1', role: 'manager', email: 'maria@plant.example' },
    });
    expect(m.status).toBe(201);
    manager = (await s.req('post', '/api/auth/login', { body: { username: 'maria', password: 'manager-pass-1' } })).body
      .accessToken;
    for (const name of ['olga', 'otto']) {
      const gen = await s.req('post', '/api/users', { token: manager, body: { role: 'operator' } });
      expect(gen.status).toBe(201);
      expect(gen.body.username).toEqual(expect.any(String));
      expect(gen.body.password).toEqual(expect.any(String));
      const first = await s.req('post', '/api/auth/login', {
        body: { username: gen.body.username, password: gen.body.password },
      });
      expect(first.body.setupRequired).toBe(true);
      const blocked = await s.req('get', '/api/alerts', { token: first.body.accessToken });
      expect(blocked.status).toBe(403);
      await s.req('post', '/api/auth/password', {
        token: first.body.accessToken,
        body: { currentPassword: gen.body.password, newPassword: `${name}-new-pass-1` },
      });
      const email = `${name}@plant.example`;
      const prof = await s.req('put', '/api/auth/profile', {
        token: first.body.accessToken,
        body: { firstName: name, lastName: 'Operator', email, phone: '+100' },
      });
      expect(prof.status).toBe(200);
      const ok = await s.req('post', '/api/auth/login', {
        body: { username: gen.body.username, password: `${name}-new-pass-1` },
      });
      expect(ok.body.setupRequired).toBe(false);
      ops.push({ id: gen.body.user.id, token: ok.body.accessToken, email });
    }
  });

  it('stores machine data only on change (deadband of the device type, set through the API) and pushes it live', async () => {
    const line = await s.req('post', '/api/assets', { token: manager, body: { type: 'line', name: 'Line 1' } });
    const machine = await s.req('post', '/api/assets', {
      token: manager,
      body: { type: 'machine', name: 'Press 1', parentId: line.body.id },
    });
    machineId = machine.body.id;
    const dev = await s.req('post', '/api/devices', {
      token: admin,
      body: { id: 'press-1', mac: MAC, deviceType: 'car_plant', assetId: machineId, handshakePolicy: 'mac' },
    });
    expect(dev.status).toBe(201);
    deviceToken = (await s.req('post', '/api/handshake/', { body: { mac: MAC, firmware: '2.0' } })).body.token;

    const bad = await s.req('put', '/api/device-types/car_plant', {
      token: manager,
      body: { deadband: { temperature: -1 } },
    });
    expect(bad.status).toBe(400);
    const put = await s.req('put', '/api/device-types/car_plant', {
      token: manager,
      body: { deadband: { temperature: 0.5 } },
    });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ name: 'car_plant', deadband: { temperature: 0.5 }, devices: 1 });
    const types = await s.req('get', '/api/device-types', { token: ops[0]?.token });
    expect(types.body.items).toEqual([expect.objectContaining({ name: 'car_plant', deadband: { temperature: 0.5 } })]);
    expect((await s.req('put', '/api/device-types/car_plant', { token: ops[0]?.token, body: {} })).status).toBe(403);

    const live = await s.live(manager, 'tenant', tenantId);
    const client = await mqtt.connectAsync(s.mqtt, { username: 'press-1', password: deviceToken, reconnectPeriod: 0 });
    const t0 = Date.now() - 60_000;
    const values = [70, 70.2, 70.4, 71, 71.3];
    for (const [i, temperature] of values.entries()) {
      await client.publishAsync(
        'devices/press-1/telemetry',
        JSON.stringify({ event_id: `p-${i}`, ts: new Date(t0 + i * 20_000).toISOString(), metrics: { temperature } }),
        { qos: 1 },
      );
    }
    await client.endAsync();
    const latest = await waitFor(async () => {
      const r = await s.req('get', '/api/telemetry/latest?deviceId=press-1', { token: manager });
      return r.body.items[0]?.values.temperature?.value === 71.3 ? r : undefined;
    });
    expect(latest.status).toBe(200);
    const events = await s.req('get', '/api/telemetry/events?deviceId=press-1', { token: manager });
    // 70 kept; 70.2 and 70.4 within 0.5 of it; 71 kept; 71.3 within 0.5 of 71
    expect(events.body.items.map((e: { metrics: { temperature: number } }) => e.metrics.temperature).sort()).toEqual([
      70, 71,
    ]);
    await waitFor(() =>
      live.events.some(
        (e) => e.event === 'telemetry' && (e.data.metrics as { temperature?: number }).temperature === 71.3,
      ),
    );
  });

  it('shows alerts and tasks to the managers and the operators working on the machine; only managers mark done', async () => {
    const [olga, otto] = ops as [(typeof ops)[0], (typeof ops)[0]];
    await s.req('post', `/api/users/${olga.id}/assignments`, { token: manager, body: { assetId: machineId } });
    const rule = await s.req('post', '/api/rules', {
      token: manager,
      body: {
        name: 'Too hot',
        kind: 'threshold',
        assetType: 'machine',
        metric: 'temperature',
        operator: '>',
        threshold: 80,
      },
    });
    expect(rule.status).toBe(201);
    await s.req('post', '/api/recipients', { token: manager, body: { email: olga.email, assetId: machineId } });
    const live = await s.live(olga.token, 'asset', machineId);
    const client = await mqtt.connectAsync(s.mqtt, { username: 'press-1', password: deviceToken, reconnectPeriod: 0 });
    await client.publishAsync(
      'devices/press-1/telemetry',
      JSON.stringify({ event_id: 'hot-1', ts: new Date().toISOString(), metrics: { temperature: 85 } }),
      { qos: 1 },
    );
    await client.endAsync();
    const [mail] = await mailTo(s, olga.email, /Alert/);
    expect(mail?.text).toContain('Machine: Press 1');
    expect(mail?.text).toContain('Value: 85 (threshold 80)');
    const pushed = await waitFor(() => live.events.find((e) => e.event === 'alert'));
    expect(pushed.data.alert).toMatchObject({ assetId: machineId, state: 'open' });

    const seen = await s.req('get', '/api/alerts?state=active', { token: olga.token });
    expect(seen.body.items).toHaveLength(1);
    const alertId = seen.body.items[0].id;
    expect((await s.req('get', '/api/alerts?state=active', { token: otto.token })).body.items).toEqual([]);
    expect((await s.req('get', '/api/alerts?state=active', { token: manager })).body.items).toHaveLength(1);
    expect((await s.req('post', `/api/alerts/${alertId}/acknowledge`, { token: otto.token, body: {} })).status).toBe(
      404,
    );
    expect((await s.req('post', `/api/alerts/${alertId}/acknowledge`, { token: olga.token, body: {} })).status).toBe(
      200,
    );
    expect((await s.req('post', `/api/alerts/${alertId}/resolve`, { token: olga.token, body: {} })).status).toBe(403);
    expect((await s.req('post', `/api/alerts/${alertId}/resolve`, { token: manager, body: {} })).status).toBe(200);

    const task = await s.req('post', '/api/tasks', {
      token: manager,
      body: { title: 'Check the press cooling', deviceId: 'press-1', assignees: [olga.id] },
    });
    expect(task.status).toBe(201);
    await mailTo(s, olga.email, /\[TASK\] Check the press cooling/);
    expect((await s.req('get', '/api/tasks', { token: otto.token })).body.items).toEqual([]);
    const move = (token: string, status: string) =>
      s.req('post', `/api/tasks/${task.body.id}/status`, { token, body: { status } });
    expect((await move(otto.token, 'in_progress')).status).toBe(404);
    expect((await move(olga.token, 'in_progress')).body.status).toBe('in_progress');
    expect((await move(olga.token, 'finished')).body.status).toBe('finished');

    // the tenant setting "operators see everything"
    const set = await s.req('patch', `/api/tenants/${tenantId}`, {
      token: admin,
      body: { settings: { operatorsSeeAll: true } },
    });
    expect(set.status).toBe(200);
    expect((await s.req('get', '/api/alerts', { token: otto.token })).body.items).toHaveLength(1);
    expect((await s.req('get', '/api/tasks', { token: otto.token })).body.items).toHaveLength(1);
  });
});
