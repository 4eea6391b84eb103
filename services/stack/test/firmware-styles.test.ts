import { mkdtempSync, rmSync } from 'node:fs';
import { type Socket, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '@telemetry/testing';
import mqtt from 'mqtt';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { type Socket as IoSocket, io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack } from '../src/index.js';
import { api, type Deployment, signIn } from './scenario.js';

// #14 "Done when": real firmware styles over real MQTT and HTTP against the running stack (embedded,
// in this process). Every message is either stored exactly once or visible as a rejection with its
// reason (API and /metrics); none vanishes. And a device that drops is offline in REST and
// Socket.IO within 2 s of the gateway noticing.

let stack: Awaited<ReturnType<typeof startStack>>;
let d: Deployment;
let token: string;
let tenantId: string;
const dataDir = mkdtempSync(join(tmpdir(), 'firmware-'));
let macs = 0;

interface Device {
  deviceId: string;
  deviceToken: string;
}

beforeAll(async () => {
  stack = await startStack({
    env: {
      NODE_ENV: 'test',
      DATA_DIR: dataDir,
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: '0',
      MQTT_HOST: '127.0.0.1',
      MQTT_PORT: '0',
      MQTT_WS_PORT: '-1',
      METRICS_PORT: '0',
      SIMULATE: 'false',
      LOG_LEVEL: 'silent',
      API_LOGIN_RATE_PER_MIN: '100000',
      JWT_SECRET: 'firmware-styles-secret-0123456789-0123456789',
    },
  });
  d = { http: stack.urls.http, mqtt: stack.urls.mqtt };
  const admin = stack.admin;
  if (!admin) throw new Error('a fresh data dir has a platform admin');
  token = (await signIn(d, admin.username, admin.password, 'firmware-admin-secret-1')).token;
  tenantId = (await api(d, 'POST', '/api/tenants', { token, body: { name: 'Firmware' } })).id;
}, 120_000);

afterAll(async () => {
  await stack?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function device(id: string): Promise<Device> {
  macs++;
  const mac = `02:F1:00:00:00:${macs.toString(16).padStart(2, '0').toUpperCase()}`;
  await api(d, 'POST', '/api/devices', { token, body: { id, mac, tenantId } });
  const hs = await api(d, 'POST', '/api/handshake/', { body: { mac, firmware: '1.0.0' } });
  expect(hs).toMatchObject({ device_id: id, assigned: true });
  return { deviceId: id, deviceToken: hs.token };
}

interface StoredEvent {
  eventId: string;
  ts: string;
  metrics: Record<string, number>;
}

async function stored(deviceId: string): Promise<StoredEvent[]> {
  const body = await api(d, 'GET', `/api/devices/${deviceId}/events?days=3650&limit=200`, { token });
  return body.items as StoredEvent[];
}

interface Rejection {
  reason: string;
  channel: string;
  excerpt: string;
  source: string;
}

async function rejections(deviceId: string): Promise<Rejection[]> {
  const body = await api(d, 'GET', `/api/devices/${deviceId}/rejections?limit=200`, { token });
  return body.items as Rejection[];
}

/** Sum of a Prometheus series over the label sets that match `labels`. */
async function metric(name: string, labels: Record<string, string>): Promise<number> {
  const text = await (await fetch(stack.urls.metrics)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) sum += Number(line.split(' ').pop());
  }
  return sum;
}

/** A hand-driven MQTT 3.1.1 session (what esp-mqtt does on the wire: DUP resends keep the packet id). */
async function rawMqtt(dev: Device, clientId: string) {
  const port = Number(new URL(d.mqtt).port);
  const socket: Socket = await new Promise((resolve, reject) => {
    const s = tcpConnect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  const packets: Packet[] = [];
  parser.on('packet', (p: Packet) => packets.push(p));
  socket.on('data', (chunk) => parser.parse(chunk));
  const send = (p: Record<string, unknown>) => socket.write(mqttPacket.generate(p as unknown as Packet));
  send({
    cmd: 'connect',
    protocolId: 'MQTT',
    protocolVersion: 4,
    clean: true,
    clientId,
    keepalive: 30,
    username: dev.deviceId,
    password: Buffer.from(dev.deviceToken),
  });
  await waitFor(() => packets.some((p) => p.cmd === 'connack'), { timeoutMs: 10_000 });
  expect(packets.find((p) => p.cmd === 'connack')).toMatchObject({ returnCode: 0 });
  return {
    socket,
    packets,
    publish(topic: string, payload: string, messageId: number, dup = false) {
      send({ cmd: 'publish', topic, payload: Buffer.from(payload), qos: 1, dup, retain: false, messageId });
    },
    pubacks: (messageId: number) => packets.filter((p) => p.cmd === 'puback' && p.messageId === messageId).length,
  };
}

describe('firmware styles against the stack (#14)', () => {
  it('PubSubClient: QoS 0 JSON without ids, default client id: each reading stored exactly once', async () => {
    const dev = await device('pubsub-1');
    const client = await mqtt.connectAsync(d.mqtt, {
      clientId: 'ESP8266Client-3f2a',
      username: dev.deviceId,
      password: dev.deviceToken,
      reconnectPeriod: 0,
    });
    for (const t of [21.5, 21.6, 21.7]) {
      await client.publishAsync(`devices/${dev.deviceId}/telemetry`, JSON.stringify({ temperature: t, humidity: 40 }), {
        qos: 0,
      });
    }
    await waitFor(async () => (await stored(dev.deviceId)).length >= 3, { timeoutMs: 20_000 });
    await client.endAsync();
    const events = await stored(dev.deviceId);
    expect(events.map((e) => e.metrics.temperature).sort()).toEqual([21.5, 21.6, 21.7]);
    expect(new Set(events.map((e) => e.eventId)).size).toBe(3);
    expect(await rejections(dev.deviceId)).toEqual([]);
  });

  it('esp-mqtt: QoS 1 with a DUP resend, seconds timestamp, nested and numeric-string fields: stored once', async () => {
    const dev = await device('espmqtt-1');
    const session = await rawMqtt(dev, 'ESP32_A1B2C3');
    const ts = Math.floor(Date.now() / 1000) - 60;
    const payload = JSON.stringify({ ts, sensors: { t: 22.1, h: '40.5' }, rssi: -61 });
    session.publish(`devices/${dev.deviceId}/telemetry`, payload, 7);
    // esp-mqtt resends an unacknowledged QoS 1 message with DUP set and the same packet id
    session.publish(`devices/${dev.deviceId}/telemetry`, payload, 7, true);
    await waitFor(() => session.pubacks(7) === 2, { timeoutMs: 10_000 });
    await waitFor(async () => (await stored(dev.deviceId)).length >= 1, { timeoutMs: 20_000 });
    // and a second, different reading, sent once
    session.publish(`devices/${dev.deviceId}/telemetry`, JSON.stringify({ ts: ts + 10, sensors: { t: 22.4 } }), 8);
    await waitFor(async () => (await stored(dev.deviceId)).length >= 2, { timeoutMs: 20_000 });
    session.socket.destroy();
    const events = await stored(dev.deviceId);
    expect(events).toHaveLength(2);
    const first = events.find((e) => e.metrics['sensors.t'] === 22.1);
    expect(first?.metrics).toMatchObject({ 'sensors.t': 22.1, 'sensors.h': 40.5, rssi: -61 });
    // seconds since the epoch, read as seconds (not 1970)
    expect(first?.ts).toBe(new Date(ts * 1000).toISOString());
    expect(await rejections(dev.deviceId)).toEqual([]);
  });

  it('a foreign topic: PUBACKed, connection kept, not stored, visible as acl_denied in the API and /metrics', async () => {
    const dev = await device('foreign-1');
    const before = await metric('telemetry_rejections_total', { reason: 'acl_denied' });
    const client = await mqtt.connectAsync(d.mqtt, {
      clientId: 'ESP32_FOREIGN',
      username: dev.deviceId,
      password: dev.deviceToken,
      reconnectPeriod: 0,
    });
    await client.publishAsync('home/livingroom/temperature', '21.5', { qos: 1 });
    await client.publishAsync(`devices/${dev.deviceId}/telemetry`, JSON.stringify({ event_id: 'own-1', t: 1 }), {
      qos: 1,
    });
    expect(client.connected).toBe(true);
    await client.endAsync();
    // the PUBACK came after the rejection was recorded (the in-process bus waits for its durable groups)
    expect(await rejections(dev.deviceId)).toMatchObject([
      { reason: 'acl_denied', channel: 'home/livingroom/temperature', excerpt: '21.5', source: 'mqtt' },
    ]);
    await waitFor(async () => (await stored(dev.deviceId)).length === 1, { timeoutMs: 20_000 });
    expect((await stored(dev.deviceId)).map((e) => e.eventId)).toEqual(['own-1']);
    expect(await metric('telemetry_rejections_total', { reason: 'acl_denied' })).toBe(before + 1);
    const summary = await api(d, 'GET', `/api/rejections/summary?tenantId=${tenantId}`, { token });
    expect(summary.byDevice).toContainEqual(
      expect.objectContaining({ deviceId: 'foreign-1', count: 1, byReason: { acl_denied: 1 } }),
    );
  });

  it('a malformed payload is never silent: dead-lettered with its reason, counted, shown', async () => {
    const dev = await device('garbled-1');
    const client = await mqtt.connectAsync(d.mqtt, {
      clientId: 'arduinoClient',
      username: dev.deviceId,
      password: dev.deviceToken,
      reconnectPeriod: 0,
    });
    await client.publishAsync(`devices/${dev.deviceId}/telemetry`, '{"temperature": 21.5', { qos: 1 });
    await client.endAsync();
    const got = await rejections(dev.deviceId);
    expect(got.map((r) => r.reason)).toEqual(['not_json']);
    expect(await metric('telemetry_rejections_total', { reason: 'not_json', source: 'mqtt' })).toBeGreaterThanOrEqual(
      1,
    );
    expect(await metric('mqtt_dead_letters_total', { reason: 'not_json' })).toBeGreaterThanOrEqual(1);
  });

  it('a reboot that reuses event ids with other readings: the new one is kept apart as id_conflict, not dropped', async () => {
    const dev = await device('reboot-1');
    const send = async (clientId: string, body: unknown) => {
      const c = await mqtt.connectAsync(d.mqtt, {
        clientId,
        username: dev.deviceId,
        password: dev.deviceToken,
        reconnectPeriod: 0,
      });
      await c.publishAsync(`devices/${dev.deviceId}/telemetry`, JSON.stringify(body), { qos: 1 });
      await c.endAsync();
    };
    const t0 = Math.floor(Date.now() / 1000) - 600;
    await send('ESP32_BOOT1', { event_id: 1, ts: t0, t: 20.5 });
    await waitFor(async () => (await stored(dev.deviceId)).length === 1, { timeoutMs: 20_000 });
    // after the reboot the counter starts at 1 again, with another time and value
    await send('ESP32_BOOT2', { event_id: 1, ts: t0 + 300, t: 23.0 });
    await waitFor(async () => (await rejections(dev.deviceId)).length === 1, { timeoutMs: 20_000 });
    expect((await rejections(dev.deviceId)).map((r) => r.reason)).toEqual(['id_conflict']);
    expect((await stored(dev.deviceId)).map((e) => e.metrics.t)).toEqual([20.5]);
    expect(await metric('telemetry_rejections_total', { reason: 'id_conflict' })).toBeGreaterThanOrEqual(1);
  });

  it('HTTP: the ozone seed’s example event (2025-09-16) in a default tenant is answered 422 too_late and shown', async () => {
    const dev = await device('http-1');
    const res = await fetch(`${d.http}/api/device/events/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${dev.deviceToken}` },
      body: JSON.stringify({
        device_id: dev.deviceId,
        firmware: '1.0.0',
        event_id: 'esp32-001-0000000123',
        event: 'treatment',
        treatment: 'BASIC',
        counter: 124,
        ts: '2025-09-16T12:34:56Z',
      }),
    });
    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({ code: 'TELEMETRY_TOO_LATE', reason: 'too_late' });
    await waitFor(async () => (await rejections(dev.deviceId)).length === 1, { timeoutMs: 20_000 });
    expect(await rejections(dev.deviceId)).toMatchObject([{ reason: 'too_late', source: 'http' }]);
    expect(await stored(dev.deviceId)).toEqual([]);
    expect(await metric('telemetry_rejections_total', { reason: 'too_late', source: 'http' })).toBe(1);
  });

  it('a device that drops is offline in REST and Socket.IO within 2 s of the gateway noticing', async () => {
    const dev = await device('drop-1');
    const socket: IoSocket = io(d.http, { auth: { token }, transports: ['websocket'], reconnection: false });
    const presence: { status: string; at: string; seenAt: number }[] = [];
    socket.on('presence', (m: { deviceId: string; status: string; at: string }) => {
      if (m.deviceId === dev.deviceId) presence.push({ ...m, seenAt: Date.now() });
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    expect(await socket.timeout(10_000).emitWithAck('subscribe', { scope: 'tenant', id: tenantId })).toMatchObject({
      ok: true,
    });
    const session = await rawMqtt(dev, 'ESP32_DROP');
    const online = async () => (await api(d, 'GET', `/api/devices/${dev.deviceId}`, { token })).online as boolean;
    await waitFor(online, { timeoutMs: 10_000 });
    await waitFor(() => presence.some((p) => p.status === 'online'), { timeoutMs: 10_000 });

    // the device loses power: the TCP connection just goes away
    session.socket.destroy();
    const dropped = Date.now();
    await waitFor(async () => !(await online()), { timeoutMs: 10_000, intervalMs: 25 });
    const restMs = Date.now() - dropped;
    await waitFor(() => presence.some((p) => p.status === 'offline'), { timeoutMs: 10_000 });
    const offline = presence.find((p) => p.status === 'offline');
    const noticedAt = Date.parse(offline?.at ?? '');
    const socketMs = (offline?.seenAt ?? 0) - dropped;
    socket.disconnect();
    // figures for the note (#14): REST and Socket.IO after the drop, and after the gateway noticed it
    console.info(
      `[firmware-styles] offline after drop: REST ${restMs} ms, Socket.IO ${socketMs} ms; gateway noticed after ${noticedAt - dropped} ms`,
    );
    expect(restMs).toBeLessThan(2_000);
    expect(socketMs).toBeLessThan(2_000);
  });
});
