import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '@telemetry/testing';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Proc } from './processes.js';
import { api, type Deployment, firstAdmin, provisionDevice, signIn, startAllInOne } from './scenario.js';

interface Doc {
  version: number;
  desired: Record<string, unknown>;
}
interface ShadowBody extends Doc {
  reported: Record<string, unknown>;
  reportedVersion: number;
  delta: Record<string, { desired: unknown; reported: unknown }>;
  inSync: boolean;
  typeDefaults: Record<string, unknown>;
}

// Issue 18: desired configuration end to end on the all-in-one stack with a real MQTT client. The
// store is the record: a desire set while the device is away survives a restart of the whole
// stack and is pushed when the device is back; a stale report never overwrites a newer desire.
describe('desired configuration (all-in-one stack)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'stack-shadow-'));
  let proc: Proc | undefined;
  let d: Deployment;
  let token: string;
  let admin: { username: string; password: string };
  let device: Awaited<ReturnType<typeof provisionDevice>>;
  const clients: MqttClient[] = [];
  const path = () => `/api/devices/${device.deviceId}/shadow`;

  async function connect(): Promise<{ client: MqttClient; docs: Doc[] }> {
    const client = await mqtt.connectAsync(d.mqtt, {
      username: device.deviceId,
      password: device.deviceToken,
      clientId: device.deviceId,
      reconnectPeriod: 0,
    });
    clients.push(client);
    const docs: Doc[] = [];
    client.on('message', (topic, payload) => {
      if (topic.endsWith('/desired')) docs.push(JSON.parse(payload.toString()) as Doc);
    });
    await client.subscribeAsync(`devices/${device.deviceId}/desired`, { qos: 1 });
    return { client, docs };
  }

  beforeAll(async () => {
    ({ proc, d } = await startAllInOne('stack-shadow', dataDir));
    const first = await firstAdmin(d, proc?.output() ?? '');
    admin = { username: first.username, password: first.password };
    token = first.token;
    device = await provisionDevice(d, token, 'Shadow');
  }, 180_000);

  afterAll(async () => {
    for (const c of clients) await c.endAsync(true).catch(() => undefined);
    await proc?.stop('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('pushes a desire set while the device was away after a restart of the whole stack; a stale report is refused', async () => {
    // the type's default, then the device's own value over it, both while the device is offline
    await api(d, 'PUT', '/api/device-types/machine/desired', {
      token,
      body: { desired: { interval_s: 60, mode: 'eco' }, tenantId: device.tenantId },
    });
    const set = await api<ShadowBody>(d, 'PATCH', `${path()}/desired`, {
      token,
      body: { desired: { interval_s: 30 } },
    });
    expect(set.desired).toEqual({ interval_s: 30, mode: 'eco' });

    expect(await proc?.stop('SIGINT')).toBe(0);
    ({ proc, d } = await startAllInOne('stack-shadow', dataDir));
    token = (await signIn(d, admin.username, admin.password, 'unused')).token;

    const { client, docs } = await connect();
    await waitFor(() => docs.some((x) => x.version === set.version), {
      timeoutMs: 15_000,
      message: 'pushed on connect',
    });
    expect(docs.at(-1)).toEqual({ version: set.version, desired: { interval_s: 30, mode: 'eco' } });

    // a newer desire while the device is connected: pushed at once; then the device reports the
    // older version it had applied (a delayed report): refused, the newer desire stays pending
    const newer = await api<ShadowBody>(d, 'PATCH', `${path()}/desired`, {
      token,
      body: { desired: { interval_s: 10 } },
    });
    await waitFor(() => docs.some((x) => x.version === newer.version), { timeoutMs: 10_000, message: 'change pushed' });
    await client.publishAsync(
      `devices/${device.deviceId}/reported`,
      JSON.stringify({ version: newer.version, reported: { interval_s: 10, mode: 'eco' } }),
      { qos: 1 },
    );
    await waitFor(async () => (await api<ShadowBody>(d, 'GET', path(), { token })).inSync, {
      timeoutMs: 10_000,
      message: 'in sync',
    });
    await client.publishAsync(
      `devices/${device.deviceId}/reported`,
      JSON.stringify({ version: set.version, reported: { interval_s: 30 } }),
      { qos: 1 },
    );
    // the refusal is answered by pushing the current document again
    await waitFor(() => docs.filter((x) => x.version === newer.version).length >= 2, {
      timeoutMs: 10_000,
      message: 'current document pushed again after the stale report',
    });
    const shadow = await api<ShadowBody>(d, 'GET', path(), { token });
    expect(shadow).toMatchObject({ reportedVersion: newer.version, reported: { interval_s: 10 }, inSync: true });
    await client.endAsync();
  }, 180_000);

  it('serves HTTP-only firmware with its device token; other tenants and operators can neither read nor set', async () => {
    const http = (p: string, init: RequestInit = {}) =>
      fetch(`${d.http}${p}`, {
        ...init,
        headers: {
          authorization: `Bearer ${device.deviceToken}`,
          'content-type': 'application/json',
          ...(init.headers as Record<string, string>),
        },
      });
    const current = (await (await http('/api/device/desired/')).json()) as Doc;
    // long poll: answers once a newer version exists
    const poll = http(`/api/device/desired/?after=${current.version}&wait=10`);
    await new Promise((r) => setTimeout(r, 500));
    const changed = await api<ShadowBody>(d, 'PATCH', `${path()}/desired`, { token, body: { desired: { led: 'on' } } });
    const polled = (await (await poll).json()) as Doc;
    expect(polled).toEqual({ version: changed.version, desired: { interval_s: 10, mode: 'eco', led: 'on' } });
    const ok = await http('/api/device/reported/', {
      method: 'POST',
      body: JSON.stringify({ version: changed.version, reported: { led: 'on' } }),
    });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ ack: true, inSync: true });
    const stale = await http('/api/device/reported/', {
      method: 'POST',
      body: JSON.stringify({ version: current.version, reported: { led: 'off' } }),
    });
    expect(stale.status).toBe(409);
    expect((await api<ShadowBody>(d, 'GET', path(), { token })).reported.led).toBe('on');
    expect((await fetch(`${d.http}/api/device/desired/`)).status).toBe(401);

    const other = await api(d, 'POST', '/api/tenants', { token, body: { name: 'Elsewhere' } });
    const credentials = { username: 'shadow-elsewhere', password: 'shadow-elsewhere-pw-1' };
    await api(d, 'POST', '/api/users', {
      token,
      body: { tenantId: other.id, role: 'manager', ...credentials, firstName: 'E', lastName: 'M' },
      expect: 201,
    });
    const foreign = (await signIn(d, credentials.username, credentials.password, 'unused')).token;
    await api(d, 'GET', path(), { token: foreign, expect: 404 });
    await api(d, 'PATCH', `${path()}/desired`, { token: foreign, body: { desired: { led: 'off' } }, expect: 404 });
    const operatorLogin = { username: 'shadow-operator', password: 'shadow-operator-pw-1' };
    await api(d, 'POST', '/api/users', {
      token,
      body: { tenantId: device.tenantId, role: 'operator', ...operatorLogin, firstName: 'O', lastName: 'P' },
      expect: 201,
    });
    const operator = (await signIn(d, operatorLogin.username, operatorLogin.password, 'operator-pw-new-1')).token;
    expect((await api<ShadowBody>(d, 'GET', path(), { token: operator })).desired.led).toBe('on');
    await api(d, 'PATCH', `${path()}/desired`, { token: operator, body: { desired: { led: 'off' } }, expect: 403 });
    // and the change is audited
    const audit = await api(d, 'GET', `/api/audit?entity=device&entityId=${device.deviceId}`, { token });
    expect(JSON.stringify(audit)).toContain('desired');
  }, 60_000);
});
