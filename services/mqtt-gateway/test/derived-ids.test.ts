import { type Bus, createMemoryBus } from '@telemetry/bus';
import { decodeMessage, TelemetryRawV1 } from '@telemetry/contracts';
import { createTestStore, type TestStore, waitFor } from '@telemetry/testing';
import mqttPacket from 'mqtt-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawSession, startGateway, type Tap, type TestGateway, tap } from './helpers.js';

// #14: firmware that sends no event_id and no ts (PubSubClient, esp-mqtt examples). Each reading gets
// an id derived from its arrival; a QoS 1 resend (DUP=1, same packet id, same bytes) keeps its first id.

let db: TestStore;
let bus: Bus;
let gw: TestGateway;
let raw: Tap;

beforeAll(async () => {
  db = await createTestStore('embedded');
  bus = createMemoryBus({ partitions: 2 });
  gw = await startGateway(bus, db.store);
  raw = await tap(bus, gw.topics.raw);
});

afterAll(async () => {
  await gw?.close();
  await bus?.close();
  await db?.drop();
});

const publish = (topic: string, payload: string, messageId: number, dup: boolean) =>
  mqttPacket.generate({ cmd: 'publish', topic, payload, qos: 1, messageId, dup, retain: false });

const eventsOf = (deviceId: string) =>
  raw.messages.filter((m) => m.key === deviceId).map((m) => decodeMessage(TelemetryRawV1, m.value));

describe('derived event ids over MQTT', () => {
  it('gives a DUP resend its first copy id, and a new reading of the same value a new id', async () => {
    const token = await gw.device('dup-1');
    const socket = await rawSession(gw.port, { clientId: 'dup-1', clean: true, username: 'dup-1', password: token });
    const topic = 'devices/dup-1/telemetry';
    socket.write(publish(topic, '{"temperature":21.5}', 10, false));
    await waitFor(() => eventsOf('dup-1').length === 1);
    socket.write(publish(topic, '{"temperature":21.5}', 10, true)); // PUBACK lost: the resend
    await waitFor(() => eventsOf('dup-1').length === 2);
    socket.write(publish(topic, '{"temperature":21.5}', 10, false)); // packet id reused: a new reading
    socket.write(publish(topic, '{"temperature":21.5}', 11, true)); // DUP of a packet id never seen
    await waitFor(() => eventsOf('dup-1').length === 4);
    const [first, resend, next, unknownDup] = eventsOf('dup-1');
    expect(first!.eventId).toMatch(/^a-/);
    expect(resend!.eventId).toBe(first!.eventId);
    expect(next!.eventId).not.toBe(first!.eventId);
    expect(unknownDup!.eventId).not.toBe(first!.eventId);
    expect(unknownDup!.eventId).not.toBe(next!.eventId);
    expect(first!.metrics).toEqual({ temperature: 21.5 });
    socket.destroy();
  });

  it('keeps the first id across a reconnect (esp-mqtt resends its outbox after reconnecting)', async () => {
    const token = await gw.device('dup-2');
    const connect = { clientId: 'dup-2', clean: true, username: 'dup-2', password: token };
    const topic = 'devices/dup-2/telemetry';
    const a = await rawSession(gw.port, connect);
    a.write(publish(topic, 't=20.5&h=41', 3, false));
    await waitFor(() => eventsOf('dup-2').length === 1);
    a.destroy();
    const b = await rawSession(gw.port, connect);
    b.write(publish(topic, 't=20.5&h=41', 3, true));
    await waitFor(() => eventsOf('dup-2').length === 2);
    const [first, resend] = eventsOf('dup-2');
    expect(resend!.eventId).toBe(first!.eventId);
    expect(first!.metrics).toEqual({ t: 20.5, h: 41 });
    b.destroy();
  });

  it('derives the same id from the content when the reading has a device time, whatever the packet', async () => {
    const token = await gw.device('dup-3');
    const socket = await rawSession(gw.port, { clientId: 'dup-3', clean: true, username: 'dup-3', password: token });
    const topic = 'devices/dup-3/telemetry';
    socket.write(publish(topic, '{"ts":1767225600,"sensors":{"t":"22.0"}}', 1, false));
    socket.write(publish(topic, '{"ts":1767225600,"sensors":{"t":"22.0"}}', 2, false));
    await waitFor(() => eventsOf('dup-3').length === 2);
    const [a, b] = eventsOf('dup-3');
    expect(a).toMatchObject({ ts: '2026-01-01T00:00:00.000Z', metrics: { 'sensors.t': 22 } });
    expect(b!.eventId).toBe(a!.eventId);
    socket.destroy();
  });

  it('decodes with the device type decoder a manager set (loaded at CONNECT)', async () => {
    const token = await gw.device('typed-1');
    await db.store.pool.query("UPDATE devices SET device_type = 'thermo10' WHERE id = 'typed-1'");
    await db.store.pool.query(`INSERT INTO device_types (tenant_id, name, decoder) VALUES ($1, 'thermo10', $2)`, [
      gw.tenantId,
      JSON.stringify({ metrics: { t10: { name: 'temperature', scale: 0.1 } }, flatten: false }),
    ]);
    const socket = await rawSession(gw.port, {
      clientId: 'typed-1',
      clean: true,
      username: 'typed-1',
      password: token,
    });
    socket.write(publish('devices/typed-1/telemetry', '{"t10":215,"rssi":-70}', 1, false));
    await waitFor(() => eventsOf('typed-1').length === 1);
    const [e] = eventsOf('typed-1');
    expect(e!.metrics.temperature).toBeCloseTo(21.5, 10);
    expect(e!.attributes).toEqual({ rssi: -70 });
    socket.destroy();
  });
});
