import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '@telemetry/testing';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Proc } from './processes.js';
import { api, type Deployment, firstAdmin, provisionDevice, signIn, startAllInOne } from './scenario.js';

interface Cmd {
  id: string;
  name: string;
  status: string;
  reply: unknown;
  attempts: number;
}
interface Wire {
  id: string;
  name: string;
  params: Record<string, unknown>;
}

// Issue 18: commands to devices, end to end on the all-in-one stack with a real MQTT client.
// The store is the record: a command queued while the device is away survives a restart of the
// whole stack and reaches the device when it is back; past its ttl it never does.
describe('commands to devices (all-in-one stack)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'stack-commands-'));
  let proc: Proc | undefined;
  let d: Deployment;
  let token: string;
  let admin: { username: string; password: string };
  let device: Awaited<ReturnType<typeof provisionDevice>>;
  const clients: MqttClient[] = [];

  async function start(): Promise<void> {
    ({ proc, d } = await startAllInOne('stack-commands', dataDir));
  }

  /** Connects as firmware does (esp-mqtt's default client id, a persistent session) and collects commands. */
  async function connect(): Promise<{ client: MqttClient; received: Wire[] }> {
    const client = await mqtt.connectAsync(d.mqtt, {
      username: device.deviceId,
      password: device.deviceToken,
      clientId: 'ESP32_5C2A1F',
      clean: false,
      reconnectPeriod: 0,
    });
    clients.push(client);
    const received: Wire[] = [];
    client.on('message', (_topic, payload) => received.push(JSON.parse(payload.toString()) as Wire));
    await client.subscribeAsync(`devices/${device.deviceId}/commands`, { qos: 1 });
    return { client, received };
  }

  const command = (id: string) => api<Cmd>(d, 'GET', `/api/devices/${device.deviceId}/commands/${id}`, { token });

  beforeAll(async () => {
    await start();
    const first = await firstAdmin(d, proc?.output() ?? '');
    admin = { username: first.username, password: first.password };
    token = first.token;
    device = await provisionDevice(d, token, 'Pantry');
  }, 180_000);

  afterAll(async () => {
    for (const c of clients) await c.endAsync(true).catch(() => undefined);
    await proc?.stop('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('delivers a command queued while the device was away after a restart of the whole stack, never an expired one', async () => {
    const keep = await api<Cmd>(d, 'POST', `/api/devices/${device.deviceId}/commands`, {
      token,
      body: { name: 'refill_request', params: { level: 100 }, ttl: 600, expectReply: true },
      expect: 201,
    });
    const short = await api<Cmd>(d, 'POST', `/api/devices/${device.deviceId}/commands`, {
      token,
      body: { name: 'reboot', ttl: 1 },
      expect: 201,
    });
    expect(keep.status).toBe('queued');

    expect(await proc?.stop('SIGINT')).toBe(0);
    await start();
    token = (await signIn(d, admin.username, admin.password, 'unused')).token;
    await waitFor(async () => (await command(short.id)).status === 'expired', {
      timeoutMs: 15_000,
      message: 'the 1 s command expired',
    });

    const { client, received } = await connect();
    await waitFor(() => received.some((c) => c.id === keep.id), { timeoutMs: 15_000, message: 'command delivered' });
    expect(received.find((c) => c.id === keep.id)).toMatchObject({ name: 'refill_request', params: { level: 100 } });
    expect(received.map((c) => c.name)).not.toContain('reboot');
    await waitFor(async () => (await command(keep.id)).status === 'delivered', {
      timeoutMs: 10_000,
      message: 'PUBACK recorded',
    });

    await client.publishAsync(
      `devices/${device.deviceId}/commands/reply`,
      JSON.stringify({ id: keep.id, status: 'ok', result: { level: 100 } }),
      { qos: 1 },
    );
    await waitFor(async () => (await command(keep.id)).status === 'replied', { timeoutMs: 10_000, message: 'replied' });
    expect((await command(keep.id)).reply).toEqual({ level: 100 });
    // a finished command is not sent again when the device comes back
    await client.endAsync();
    const again = await connect();
    await new Promise((r) => setTimeout(r, 1_500));
    expect(again.received.filter((c) => c.id === keep.id)).toHaveLength(0);
    await again.client.endAsync();
  }, 180_000);

  it('answers a caller who waits with the device’s reply', async () => {
    const { client } = await connect();
    client.on('message', (_topic, payload) => {
      const c = JSON.parse(payload.toString()) as Wire;
      if (c.name === 'set_interval')
        void client.publishAsync(
          `devices/${device.deviceId}/commands/reply`,
          JSON.stringify({ id: c.id, status: 'ok', result: { intervalS: c.params.seconds } }),
          { qos: 1 },
        );
    });
    const answered = await api<Cmd>(d, 'POST', `/api/devices/${device.deviceId}/commands?wait=15`, {
      token,
      body: { name: 'set_interval', params: { seconds: 30 }, expectReply: true },
      expect: 201,
    });
    expect(answered).toMatchObject({ status: 'replied', reply: { intervalS: 30 } });
    const { items } = await api<{ items: Cmd[] }>(d, 'GET', `/api/devices/${device.deviceId}/commands`, { token });
    expect(items[0]).toMatchObject({ id: (answered as Cmd).id, status: 'replied' });
    await client.endAsync();
  }, 60_000);

  it('serves HTTP-only firmware by long poll with its device token, and refuses other callers', async () => {
    const poll = fetch(`${d.http}/api/device/commands/?wait=10`, {
      headers: { authorization: `Bearer ${device.deviceToken}` },
    });
    await new Promise((r) => setTimeout(r, 1_000));
    const sent = await api<Cmd>(d, 'POST', `/api/devices/${device.deviceId}/commands`, {
      token,
      body: { name: 'reset_counter', expectReply: true },
      expect: 201,
    });
    const res = await poll;
    expect(res.status).toBe(200);
    const { commands } = (await res.json()) as { commands: Wire[] };
    expect(commands.map((c) => c.id)).toContain(sent.id);
    const ack = await fetch(`${d.http}/api/device/commands/ack/`, {
      method: 'POST',
      headers: { authorization: `Bearer ${device.deviceToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ id: sent.id, status: 'error', error: 'counter locked' }),
    });
    expect(ack.status).toBe(200);
    expect(await command(sent.id)).toMatchObject({ status: 'failed', error: 'counter locked' });

    // without a device token: refused; another tenant's manager: the device does not exist for them
    const anonymous = await fetch(`${d.http}/api/device/commands/`);
    expect(anonymous.status).toBe(401);
    const other = await api(d, 'POST', '/api/tenants', { token, body: { name: 'Elsewhere' } });
    const credentials = { username: 'elsewhere-manager', password: 'elsewhere-manager-pw-1' };
    await api(d, 'POST', '/api/users', {
      token,
      body: { tenantId: other.id, role: 'manager', ...credentials, firstName: 'E', lastName: 'M' },
      expect: 201,
    });
    const foreign = (await signIn(d, credentials.username, credentials.password, 'unused')).token;
    await api(d, 'POST', `/api/devices/${device.deviceId}/commands`, {
      token: foreign,
      body: { name: 'reboot' },
      expect: 404,
    });
    await api(d, 'GET', `/api/devices/${device.deviceId}/commands/${sent.id}`, { token: foreign, expect: 404 });
    // an operator of the device's own tenant reads the history but may not send
    const operatorLogin = { username: 'pantry-operator', password: 'pantry-operator-pw-1' };
    await api(d, 'POST', '/api/users', {
      token,
      body: { tenantId: device.tenantId, role: 'operator', ...operatorLogin, firstName: 'O', lastName: 'P' },
      expect: 201,
    });
    const operator = (await signIn(d, operatorLogin.username, operatorLogin.password, 'operator-pw-new-1')).token;
    await api(d, 'POST', `/api/devices/${device.deviceId}/commands`, {
      token: operator,
      body: { name: 'reboot' },
      expect: 403,
    });
  }, 60_000);
});
