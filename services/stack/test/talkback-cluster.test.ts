import { waitFor } from '@telemetry/testing';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from './scenario.js';
import { startTalkBack, type TalkBack } from './talkback.js';

interface Received {
  topic: string;
  body: Record<string, unknown>;
}

// Issue 18: two MQTT gateway instances over Redis (one clustered broker) behind one API. A command
// or a desired change made through the API reaches the device on whichever instance it is
// connected: the announcement goes over the bus to every instance, the one holding the connection
// reads the store and delivers.
describe('commands and desired configuration with two gateway instances over Redis', () => {
  let t: TalkBack;
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    t = await startTalkBack({ backend: 'embedded', gateways: 2, redis: true });
  }, 60_000);
  afterAll(async () => {
    for (const c of clients) await c.endAsync(true).catch(() => undefined);
    await t?.close();
  });

  async function connect(url: string, device: { deviceId: string; token: string }) {
    const client = await mqtt.connectAsync(url, {
      clientId: device.deviceId,
      username: device.deviceId,
      password: device.token,
      reconnectPeriod: 0,
    });
    clients.push(client);
    const inbox: Received[] = [];
    client.on('message', (topic, payload) => inbox.push({ topic, body: JSON.parse(payload.toString()) }));
    await client.subscribeAsync([`devices/${device.deviceId}/commands`, `devices/${device.deviceId}/desired`], {
      qos: 1,
    });
    return { client, inbox };
  }

  it('reaches the device on instance A, then on instance B after it moved', async () => {
    const device = await t.device('Cluster');
    const [a, b] = t.gateways as [TalkBack['gateways'][0], TalkBack['gateways'][0]];
    const path = `/api/devices/${device.deviceId}`;

    const onA = await connect(a.url, device);
    const first = await api(t.d, 'POST', `${path}/commands`, { token: t.token, body: { name: 'reboot' }, expect: 201 });
    const setA = await api(t.d, 'PATCH', `${path}/shadow/desired`, {
      token: t.token,
      body: { desired: { interval_s: 30 } },
    });
    await waitFor(() => onA.inbox.some((m) => m.body.id === first.id), { timeoutMs: 10_000, message: 'command on A' });
    await waitFor(() => onA.inbox.some((m) => m.body.version === setA.version), {
      timeoutMs: 10_000,
      message: 'desired on A',
    });
    expect(onA.inbox.find((m) => m.topic.endsWith('/desired'))?.body).toEqual({
      version: setA.version,
      desired: { interval_s: 30 },
    });
    await onA.client.endAsync();

    const onB = await connect(b.url, device);
    // on connect, instance B pushes the current document from the store
    await waitFor(() => onB.inbox.some((m) => m.body.version === setA.version), {
      timeoutMs: 10_000,
      message: 'desired pushed on connect to B',
    });
    const second = await api(t.d, 'POST', `${path}/commands`, {
      token: t.token,
      body: { name: 'refill', expectReply: false },
      expect: 201,
    });
    const setB = await api(t.d, 'PATCH', `${path}/shadow/desired`, {
      token: t.token,
      body: { desired: { interval_s: 10 } },
    });
    await waitFor(() => onB.inbox.some((m) => m.body.id === second.id), { timeoutMs: 10_000, message: 'command on B' });
    await waitFor(() => onB.inbox.some((m) => m.body.version === setB.version), {
      timeoutMs: 10_000,
      message: 'desired change on B',
    });
    expect(setB.version).toBeGreaterThan(setA.version);
    // each delivered once: the instance without the connection sent nothing
    expect(onB.inbox.filter((m) => m.body.id === second.id)).toHaveLength(1);
    expect(onA.inbox.filter((m) => m.body.id === second.id)).toHaveLength(0);
    await waitFor(
      async () => (await api(t.d, 'GET', `${path}/commands/${second.id}`, { token: t.token })).status === 'delivered',
      { timeoutMs: 10_000, message: 'PUBACK recorded through B' },
    );

    // the device reports over MQTT on B: the API shows it applied
    await onB.client.publishAsync(
      `devices/${device.deviceId}/reported`,
      JSON.stringify({ version: setB.version, reported: { interval_s: 10 } }),
      { qos: 1 },
    );
    await waitFor(async () => (await api(t.d, 'GET', `${path}/shadow`, { token: t.token })).inSync === true, {
      timeoutMs: 10_000,
      message: 'reported in sync',
    });
  }, 60_000);
});
