import { type Bus, createMemoryBus } from '@telemetry/bus';
import { DevicePresenceV1, decodeMessage, TelemetryDeadV1, TelemetryRawV1 } from '@telemetry/contracts';
import { createTestStore, type TestStore, waitFor } from '@telemetry/testing';
import type { ErrorWithSubackPacket } from 'mqtt';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  connackCode,
  connectDevice,
  connectRecording,
  metricValue,
  rawConnack,
  startGateway,
  type Tap,
  type TestGateway,
  tap,
} from './helpers.js';

let db: TestStore;
let bus: Bus;
let gw: TestGateway;
let raw: Tap;
let dead: Tap;
let presence: Tap;
/** A second durable group on the raw topic whose handler can be held, to prove PUBACK-after-commit. */
let gate: Promise<void> = Promise.resolve();
let held = 0;

beforeAll(async () => {
  db = await createTestStore('embedded');
  bus = createMemoryBus({ partitions: 4 });
  gw = await startGateway(bus, db.store);
  raw = await tap(bus, gw.topics.raw);
  dead = await tap(bus, gw.topics.dead);
  presence = await tap(bus, gw.topics.presence);
  await tap(bus, gw.topics.raw, {
    hold: async () => {
      held++;
      await gate;
    },
  });
});

afterAll(async () => {
  await gw?.close();
  await bus?.close();
  await db?.drop();
});

const byDevice = (t: Tap, deviceId: string) => t.messages.filter((m) => m.key === deviceId);

describe('mqtt gateway (memory bus)', () => {
  it('bridges an accepted publish to telemetry.raw.v1, keyed by device, with the cached tenant', async () => {
    const token = await gw.device('bridge-1');
    const client = await connectDevice(gw.port, 'bridge-1', token);
    await client.publishAsync(
      'devices/bridge-1/telemetry',
      JSON.stringify({ event_id: 'e1', ts: '2026-01-01T00:00:00Z', t: 20.5 }),
      {
        qos: 1,
      },
    );
    // PUBACK came after the durable groups committed: the message is there already, no waiting.
    const [m] = byDevice(raw, 'bridge-1');
    expect(decodeMessage(TelemetryRawV1, m!.value)).toMatchObject({
      tenantId: gw.tenantId,
      deviceId: 'bridge-1',
      eventId: 'e1',
      kind: 'telemetry',
      ts: '2026-01-01T00:00:00.000Z',
      source: 'mqtt',
      metrics: { t: 20.5 },
    });
    await client.endAsync();
  });

  it('refuses bad credentials: malformed -> CONNACK 4, wrong/unknown/pending/revoked -> CONNACK 5', async () => {
    const token = await gw.device('auth-1');
    const wrong = 'A'.repeat(43);
    expect(await connackCode(gw.port, { clientId: 'auth-1', username: 'auth-1', password: wrong })).toBe(5);
    expect(await connackCode(gw.port, { clientId: 'nobody', username: 'nobody', password: token })).toBe(5);
    expect(await connackCode(gw.port, { clientId: 'auth-1', username: 'auth-1', password: 'short' })).toBe(4);
    expect(await connackCode(gw.port, { clientId: 'auth-1' })).toBe(4);

    const pending = await gw.registry.lifecycle.handshake({ mac: '02:00:00:00:00:01', firmware: '1' });
    expect(
      await connackCode(gw.port, { clientId: pending.deviceId, username: pending.deviceId, password: pending.token }),
    ).toBe(5);

    expect(await connackCode(gw.port, { clientId: 'auth-1', username: 'auth-1', password: token })).toBe(0);
    await gw.registry.lifecycle.revoke('auth-1');
    expect(await connackCode(gw.port, { clientId: 'auth-1', username: 'auth-1', password: token })).toBe(5);

    for (const reason of ['bad_token', 'unknown_device', 'pending', 'revoked', 'malformed_credentials']) {
      expect(await metricValue(gw.metrics, 'mqtt_connects_refused_total', { reason }), reason).toBeGreaterThanOrEqual(
        1,
      );
    }
  });

  it('refuses an empty client id with clean=false with CONNACK 0x02 [MQTT-3.1.3-8]', async () => {
    const token = await gw.device('empty-id-1');
    const credentials = { username: 'empty-id-1', password: token };
    expect(await rawConnack(gw.port, { clientId: '', clean: false, ...credentials })).toBe(2);
    // with a clean session an empty id is fine: the broker names the client
    expect(await rawConnack(gw.port, { clientId: '', clean: true, ...credentials })).toBe(0);
  });

  it('answers a publish outside the device topics like mosquitto (PUBACK, not delivered), dead-letters it acl_denied, keeps the connection', async () => {
    const token = await gw.device('acl-1');
    const victim = await gw.device('acl-2');
    // acl-2 has a clean=false session subscribed to its commands: a forged command must not reach it
    const { client: acl2, inbox } = await connectRecording(gw.port, 'acl-2', victim, { clean: false });
    await acl2.subscribeAsync('devices/acl-2/commands', { qos: 1 });
    const client = await connectDevice(gw.port, 'acl-1', token);
    let closed = false;
    client.once('close', () => {
      closed = true;
    });
    // QoS 1: the PUBACK comes (publishAsync resolves), after the dead letter is on the bus
    await client.publishAsync('devices/acl-2/telemetry', JSON.stringify({ event_id: 'x', t: 1 }), { qos: 1 });
    await client.publishAsync('devices/acl-2/commands', JSON.stringify({ reboot: true }), { qos: 1 });
    await client.publishAsync('sensors/livingroom/temp', '21.5', { qos: 0 });
    // the same connection goes on publishing on its own topics
    await client.publishAsync('devices/acl-1/telemetry', JSON.stringify({ event_id: 'own', t: 1 }), { qos: 1 });
    expect(closed).toBe(false);
    expect(client.connected).toBe(true);
    await waitFor(() => byDevice(dead, 'acl-1').length === 3);
    const letters = byDevice(dead, 'acl-1').map((m) => decodeMessage(TelemetryDeadV1, m.value));
    expect(letters.map((d) => [d.reason, d.channel, d.tenantId])).toEqual([
      ['acl_denied', 'devices/acl-2/telemetry', gw.tenantId],
      ['acl_denied', 'devices/acl-2/commands', gw.tenantId],
      ['acl_denied', 'sensors/livingroom/temp', gw.tenantId],
    ]);
    expect(Buffer.from(letters[2]!.original, 'base64').toString()).toBe('21.5');
    expect(await metricValue(gw.metrics, 'mqtt_publishes_refused_total', { reason: 'acl' })).toBeGreaterThanOrEqual(3);
    expect(await metricValue(gw.metrics, 'mqtt_dead_letters_total', { reason: 'acl_denied' })).toBeGreaterThanOrEqual(
      3,
    );
    expect(byDevice(raw, 'acl-2')).toHaveLength(0);
    expect(raw.of('acl-1').map((m) => m.eventId)).toEqual(['own']);
    // a round trip on acl-2's own connection: anything routed to it would have arrived before this
    await acl2.publishAsync('devices/acl-2/status', JSON.stringify({ event_id: 's', up: 1 }), { qos: 1 });
    expect(inbox).toEqual([]);
    await client.endAsync();
    await acl2.endAsync();
    // and nothing was queued in acl-2's persisted session either
    const again = await connectRecording(gw.port, 'acl-2', victim, { clean: false });
    await again.client.publishAsync('devices/acl-2/status', JSON.stringify({ event_id: 's2', up: 1 }), { qos: 1 });
    expect(again.inbox).toEqual([]);
    await again.client.endAsync();
  });

  it('accepts any client id once the credentials authenticate; the session is the device’s (takeover across ids)', async () => {
    const token = await gw.device('anyid-1');
    const other = await gw.device('anyid-2');
    // PubSubClient's default id (fresh every boot), esp-mqtt's, and one hard-coded in two devices
    const first = await connectDevice(gw.port, 'anyid-1', token, { clientId: 'ESP8266Client-3f2a' });
    const firstClosed = new Promise<void>((resolve) => first.once('close', () => resolve()));
    const shared = await connectDevice(gw.port, 'anyid-2', other, { clientId: 'arduinoClient' });
    const second = await connectDevice(gw.port, 'anyid-1', token, { clientId: 'ESP32_A1B2C3' });
    await firstClosed; // the device's second connection took its first over, though the ids differ
    first.end(true);
    await second.publishAsync('devices/anyid-1/telemetry', JSON.stringify({ event_id: 'a1', t: 1 }), { qos: 1 });
    // a third device using the same hard-coded id does not take anyid-2's session over
    const sharedClosed = vi.fn();
    shared.once('close', sharedClosed);
    const third = await connectDevice(gw.port, 'anyid-1', token, { clientId: 'arduinoClient' });
    await shared.publishAsync('devices/anyid-2/telemetry', JSON.stringify({ event_id: 'b1', t: 2 }), { qos: 1 });
    expect(sharedClosed).not.toHaveBeenCalled();
    expect(raw.of('anyid-1').map((m) => m.eventId)).toEqual(['a1']);
    expect(raw.of('anyid-2').map((m) => m.eventId)).toEqual(['b1']);
    await waitFor(() => byDevice(presence, 'anyid-1').length === 5);
    const events = byDevice(presence, 'anyid-1').map((m) => decodeMessage(DevicePresenceV1, m.value));
    expect(events.map((e) => [e.status, e.reason])).toEqual([
      ['online', 'connect'],
      ['offline', 'takeover'],
      ['online', 'connect'],
      ['offline', 'takeover'],
      ['online', 'connect'],
    ]);
    await third.endAsync();
    await shared.endAsync();
    await second.endAsync().catch(() => undefined);
  });

  it('strict mode (MQTT_STRICT_CLIENT_ID) refuses a client id other than the device id with CONNACK 2', async () => {
    const strict = await startGateway(bus, db.store, { strictClientId: true });
    try {
      const token = await strict.device('strict-1');
      const credentials = { username: 'strict-1', password: token };
      expect(await connackCode(strict.port, { clientId: 'ESP32_A1B2C3', ...credentials })).toBe(2);
      expect(await connackCode(strict.port, { clientId: 'strict-1', ...credentials })).toBe(0);
      expect(await rawConnack(strict.port, { clientId: '', clean: true, ...credentials })).toBe(0);
      expect(await metricValue(strict.metrics, 'mqtt_connects_refused_total', { reason: 'client_id' })).toBe(1);
    } finally {
      await strict.close();
    }
  });

  it('refuses $SYS/# and foreign subscriptions (SUBACK 0x80), grants the device its commands', async () => {
    const token = await gw.device('sub-1');
    const client = await connectDevice(gw.port, 'sub-1', token);
    const err = (await client
      .subscribeAsync(['$SYS/#', 'devices/+/telemetry', 'devices/sub-1/commands'], { qos: 1 })
      .then(
        () => undefined,
        (e: unknown) => e,
      )) as ErrorWithSubackPacket;
    expect(err.packet.granted).toEqual([128, 128, 1]);
    expect(await metricValue(gw.metrics, 'mqtt_subscribes_refused_total', { reason: 'sys' })).toBeGreaterThanOrEqual(1);

    const received = new Promise<string>((resolve) =>
      client.once('message', (_t, payload) => resolve(payload.toString())),
    );
    expect(await gw.gateway.sendCommand('sub-1', '{"cmd":"reboot"}')).toBe(true);
    expect(await received).toBe('{"cmd":"reboot"}');
    await client.endAsync();
  });

  it('stores only the granted filters with a clean=false session: no other device’s command is queued for it', async () => {
    const [token, victimToken] = [await gw.device('stored-1'), await gw.device('stored-victim-1')];
    const victim = await connectDevice(gw.port, 'stored-victim-1', victimToken);
    await victim.subscribeAsync('devices/stored-victim-1/commands', { qos: 1 });
    const first = await connectDevice(gw.port, 'stored-1', token, { clean: false });
    // aedes 1.2 would persist the refused filter with the granted one.
    await first
      .subscribeAsync(['devices/stored-victim-1/commands', 'devices/stored-1/commands'], { qos: 1 })
      .catch(() => undefined);
    await first.endAsync();
    expect(await gw.gateway.sendCommand('stored-victim-1', 'secret')).toBe(true);
    const again = await connectRecording(gw.port, 'stored-1', token, { clean: false });
    expect(again.sessionPresent).toBe(true);
    expect(await gw.gateway.sendCommand('stored-1', 'mine')).toBe(true);
    await waitFor(() => again.inbox.length >= 1);
    // (QoS 1 is at least once: published while aedes replays the session queue, it may come twice.)
    expect([...new Set(again.inbox.map((m) => `${m.topic} ${m.payload}`))]).toEqual(['devices/stored-1/commands mine']);
    await again.client.endAsync();
    await victim.endAsync();
  });

  it('sends the QoS 1 PUBACK only after every durable group committed the message', async () => {
    const token = await gw.device('puback-1');
    let release!: () => void;
    gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    held = 0;
    const client = await connectDevice(gw.port, 'puback-1', token);
    let acked = false;
    const publish = client
      .publishAsync('devices/puback-1/telemetry', JSON.stringify({ event_id: 'held', t: 1 }), { qos: 1 })
      .then(() => {
        acked = true;
      });
    await waitFor(() => held >= 1 && byDevice(raw, 'puback-1').length === 1 && gw.gateway.inflight() === 1);
    // One durable group has it; the held one has not committed: the bus has not acknowledged.
    expect(acked).toBe(false);
    release();
    await publish;
    expect(gw.gateway.inflight()).toBe(0);
    await client.endAsync();
  });

  it('keeps one device in order across a burst of QoS 0 and QoS 1 publishes', async () => {
    const token = await gw.device('order-1');
    const client = await connectDevice(gw.port, 'order-1', token);
    const n = 300;
    const sent: Promise<unknown>[] = [];
    for (let i = 0; i < n; i++) {
      sent.push(
        client.publishAsync('devices/order-1/telemetry', JSON.stringify({ event_id: `o-${i}`, i }), {
          qos: i % 3 === 0 ? 0 : 1,
        }),
      );
    }
    await Promise.all(sent);
    await waitFor(() => byDevice(raw, 'order-1').length === n);
    expect(raw.of('order-1').map((m) => m.eventId)).toEqual(Array.from({ length: n }, (_, i) => `o-${i}`));
    await client.endAsync();
  });

  it('dead-letters malformed payloads with a reason, PUBACKs them, and keeps the device going', async () => {
    const token = await gw.device('dead-1');
    const client = await connectDevice(gw.port, 'dead-1', token);
    const topic = 'devices/dead-1/telemetry';
    await client.publishAsync(topic, 'not json at all', { qos: 1 });
    await client.publishAsync(topic, JSON.stringify({ event_id: { nested: 1 }, t: 1 }), { qos: 1 });
    await client.publishAsync(topic, JSON.stringify({ event_id: 'bad', ts: 'yesterday', t: 1 }), { qos: 1 });
    await client.publishAsync(topic, Buffer.alloc(5_000, 0x7b), { qos: 1 });
    await client.publishAsync(topic, JSON.stringify({ event_id: 'good', t: 2 }), { qos: 1 });
    const letters = byDevice(dead, 'dead-1').map((m) => decodeMessage(TelemetryDeadV1, m.value));
    expect(letters.map((l) => l.reason)).toEqual(['not_json', 'schema_invalid', 'schema_invalid', 'too_large']);
    expect(letters[0]).toMatchObject({ deviceId: 'dead-1', tenantId: gw.tenantId, source: 'mqtt', channel: topic });
    expect(Buffer.from(letters[0]!.original, 'base64').toString()).toBe('not json at all');
    expect(raw.of('dead-1').map((m) => m.eventId)).toEqual(['good']);
    expect(await metricValue(gw.metrics, 'mqtt_dead_letters_by_device_total', { device: 'dead-1' })).toBe(4);
    expect(await metricValue(gw.metrics, 'mqtt_dead_letters_total', { reason: 'not_json' })).toBeGreaterThanOrEqual(1);
    await client.endAsync();
  });

  it('records presence: online at CONNECT, offline with its reason, the will bridged on a lost connection', async () => {
    const token = await gw.device('presence-1');
    const client = await connectDevice(gw.port, 'presence-1', token);
    await waitFor(async () => (await gw.registry.directory.get('presence-1'))?.online === true);
    await client.endAsync();
    await waitFor(() => byDevice(presence, 'presence-1').length === 2);

    const withWill = await connectDevice(gw.port, 'presence-1', token, {
      will: { topic: 'devices/presence-1/status', payload: Buffer.from('{"online":false}'), qos: 1, retain: true },
    });
    withWill.stream.destroy(); // the connection drops without DISCONNECT: the will fires
    await waitFor(() => byDevice(presence, 'presence-1').length === 4);
    await waitFor(() => byDevice(raw, 'presence-1').length === 1);
    withWill.end(true);

    const events = byDevice(presence, 'presence-1').map((m) => decodeMessage(DevicePresenceV1, m.value));
    expect(events.map((e) => [e.status, e.reason])).toEqual([
      ['online', 'connect'],
      ['offline', 'disconnect'],
      ['online', 'connect'],
      ['offline', 'will'],
    ]);
    expect(events[0]).toMatchObject({ deviceId: 'presence-1', tenantId: gw.tenantId, gatewayId: gw.gateway.id });
    expect(raw.of('presence-1')).toMatchObject([{ kind: 'status', metrics: { online: 0 } }]);
    await waitFor(async () => (await gw.registry.directory.get('presence-1'))?.online === false);
  });

  it('refuses a will outside the device topics at CONNECT', async () => {
    const token = await gw.device('will-2');
    expect(
      await connackCode(gw.port, {
        clientId: 'will-2',
        username: 'will-2',
        password: token,
        will: { topic: 'devices/other/status', payload: Buffer.from('x'), qos: 0, retain: false },
      }),
    ).toBe(5);
  });

  it('ends the older session when the device connects again (takeover)', async () => {
    const token = await gw.device('takeover-1');
    const first = await connectDevice(gw.port, 'takeover-1', token);
    const firstClosed = new Promise<void>((resolve) => first.once('close', () => resolve()));
    const second = await connectDevice(gw.port, 'takeover-1', token);
    await firstClosed;
    first.end(true);
    await waitFor(() => byDevice(presence, 'takeover-1').length === 3);
    const events = byDevice(presence, 'takeover-1').map((m) => decodeMessage(DevicePresenceV1, m.value));
    expect(events.map((e) => [e.status, e.reason])).toEqual([
      ['online', 'connect'],
      ['offline', 'takeover'],
      ['online', 'connect'],
    ]);
    await second.endAsync();
  });

  it('speaks MQTT over WebSocket too', async () => {
    const token = await gw.device('ws-1');
    const client = await mqtt.connectAsync(`ws://127.0.0.1:${gw.wsPort}`, {
      clientId: 'ws-1',
      username: 'ws-1',
      password: token,
      reconnectPeriod: 0,
    });
    await client.publishAsync('devices/ws-1/events', JSON.stringify({ event_id: 'w1', counter: 3 }), { qos: 1 });
    expect(raw.of('ws-1')).toMatchObject([{ deviceId: 'ws-1', kind: 'event', metrics: { counter: 3 } }]);
    await client.endAsync();
  });

  it('closes the session of a device revoked while connected', async () => {
    const token = await gw.device('revoke-1');
    const client = await connectDevice(gw.port, 'revoke-1', token);
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    await gw.registry.lifecycle.revoke('revoke-1');
    expect(gw.gateway.disconnect(await gw.registry.credentials.inactive(['revoke-1']))).toBe(1);
    await closed;
    client.end(true);
  });
});
