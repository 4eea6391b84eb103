import { type Bus, createMemoryBus } from '@telemetry/bus';
import { createRegistry as createMetricsRegistry, silentLogger } from '@telemetry/observability';
import { createDeviceRegistry, type DeviceRegistry } from '@telemetry/registry';
import { createTestStore, type TestStore, uniqueName, waitFor } from '@telemetry/testing';
import { Redis } from 'ioredis';
import type { ErrorWithSubackPacket } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway, type Gateway, type GatewayTopics } from '../src/index.js';
import { connectDevice, connectRecording, rawSession, type Tap, tap } from './helpers.js';

// Two gateway instances on one Redis (REDIS_URL) behave as one broker. The machine's Redis; this
// file's keys and channels under its own prefix, deleted at the end.
const REDIS_URL = process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379';
const prefix = `${uniqueName('mqtt-cluster')}:`;

interface Instance {
  gateway: Gateway;
  port: number;
}

let db: TestStore;
let bus: Bus;
let registry: DeviceRegistry;
let tenantId: string;
let topics: GatewayTopics;
let a: Instance;
let b: Instance;
let raw: Tap;
let dead: Tap;
let presence: Tap;

async function instance(): Promise<Instance> {
  const gateway = createGateway({
    bus,
    registry,
    logger: silentLogger(),
    metrics: createMetricsRegistry(),
    gatewayId: uniqueName('gw'),
    topics,
    options: {
      host: '127.0.0.1',
      port: 0,
      wsPort: -1,
      maxPacketBytes: 65_536,
      maxInflight: 10_000,
      connectsPerIpPerMinute: 10_000,
      redisUrl: REDIS_URL,
      redisPrefix: prefix,
    },
  });
  const { port } = await gateway.start();
  return { gateway, port };
}

async function device(id: string): Promise<string> {
  await registry.lifecycle.preRegister({ tenantId, deviceId: id });
  return (await registry.lifecycle.rotateToken(id)).token;
}

beforeAll(async () => {
  db = await createTestStore('embedded');
  bus = createMemoryBus({ partitions: 4 });
  registry = createDeviceRegistry({ pool: db.store.pool });
  tenantId = (
    await db.store.pool.query<{ id: string }>('INSERT INTO tenants (name) VALUES ($1) RETURNING id', [
      uniqueName('tenant'),
    ])
  ).rows[0]!.id;
  // Both instances bridge to the same topics, as replicas of one deployment do.
  topics = {
    raw: uniqueName('raw'),
    dead: uniqueName('dead'),
    presence: uniqueName('presence'),
    commands: uniqueName('commands'),
  };
  a = await instance();
  b = await instance();
  raw = await tap(bus, topics.raw);
  dead = await tap(bus, topics.dead);
  presence = await tap(bus, topics.presence);
});

afterAll(async () => {
  await a?.gateway.close();
  await b?.gateway.close();
  await bus?.close();
  await db?.drop();
  const redis = new Redis(REDIS_URL);
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

describe('mqtt gateway cluster (Redis)', () => {
  it('delivers a command sent through one instance to the device connected to the other', async () => {
    const token = await device('cmd-1');
    const { client, inbox } = await connectRecording(a.port, 'cmd-1', token);
    await client.subscribeAsync('devices/cmd-1/commands', { qos: 1 });
    // Not connected to B: without Redis B would answer false.
    expect(b.gateway.connectedDevices()).toBe(0);
    expect(await b.gateway.sendCommand('cmd-1', '{"cmd":"reboot"}')).toBe(true);
    await waitFor(() => inbox.length >= 1);
    expect(await a.gateway.sendCommand('cmd-1', '{"cmd":"ping"}')).toBe(true);
    await waitFor(() => inbox.length >= 2);
    expect(inbox).toEqual([
      { topic: 'devices/cmd-1/commands', payload: '{"cmd":"reboot"}' },
      { topic: 'devices/cmd-1/commands', payload: '{"cmd":"ping"}' },
    ]);
    await client.endAsync();
  });

  it('bridges a QoS 1 publish to the bus once, by the instance the device is connected to', async () => {
    const [tokenA, tokenB] = [await device('once-a'), await device('once-b')];
    const onA = await connectRecording(a.port, 'once-a', tokenA);
    const onB = await connectDevice(b.port, 'once-b', tokenB);
    await onA.client.subscribeAsync('devices/once-a/commands', { qos: 1 });
    const ids = (p: string) => Array.from({ length: 5 }, (_, i) => `${p}-${i}`);
    for (const id of ids('a')) {
      await onA.client.publishAsync('devices/once-a/telemetry', JSON.stringify({ event_id: id, t: 1 }), { qos: 1 });
    }
    for (const id of ids('b')) {
      await onB.publishAsync('devices/once-b/telemetry', JSON.stringify({ event_id: id, t: 1 }), { qos: 1 });
    }
    // A round trip A -> Redis -> B -> Redis -> A after the last publishes: a copy bridged by the
    // other instance would be on the bus by now.
    expect(await b.gateway.sendCommand('once-a', 'sync')).toBe(true);
    await waitFor(() => onA.inbox.length === 1);
    expect(raw.of('once-a').map((m) => m.eventId)).toEqual(ids('a'));
    expect(raw.of('once-b').map((m) => m.eventId)).toEqual(ids('b'));
    await onA.client.endAsync();
    await onB.endAsync();
  });

  it('keeps a clean=false session (subscription, QoS 1 queue) when the device reconnects to the other instance', async () => {
    const token = await device('sess-1');
    const first = await connectRecording(a.port, 'sess-1', token, { clean: false });
    await first.client.subscribeAsync('devices/sess-1/commands', { qos: 1 });
    await first.client.endAsync();
    // Offline now: the command waits in the session's queue, in Redis.
    expect(await a.gateway.sendCommand('sess-1', 'queued')).toBe(true);

    const second = await connectRecording(b.port, 'sess-1', token, { clean: false });
    expect(second.sessionPresent).toBe(true);
    await waitFor(() => second.inbox.length === 1);
    // The subscription came along too: a command through A reaches the device now on B.
    expect(await a.gateway.sendCommand('sess-1', 'live')).toBe(true);
    await waitFor(() => second.inbox.length === 2);
    expect(second.inbox.map((m) => m.payload)).toEqual(['queued', 'live']);
    await second.client.endAsync();
  });

  it('ends the session on one instance when the device connects to the other (also with an empty client id)', async () => {
    const token = await device('take-1');
    const first = await connectDevice(a.port, 'take-1', token);
    const firstClosed = new Promise<void>((resolve) => first.once('close', () => resolve()));
    const second = await connectDevice(b.port, 'take-1', token);
    await firstClosed;
    await waitFor(() => a.gateway.connectedDevices() === 0);
    await second.endAsync();
    first.end(true);

    // An empty client id on A, the device id on B: aedes alone compares client ids, keeps both.
    const socket = await rawSession(a.port, { clientId: '', clean: true, username: 'take-1', password: token });
    const socketClosed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    await waitFor(() => a.gateway.connectedDevices() === 1);
    const third = await connectDevice(b.port, 'take-1', token);
    await socketClosed;
    await waitFor(() => a.gateway.connectedDevices() === 0);
    expect(b.gateway.connectedDevices()).toBe(1);
    await third.endAsync();

    // Presence is ordered per instance (each writes its own); A's sessions ended as takeovers.
    const of = (gw: Instance) => () =>
      presence
        .of('take-1')
        .filter((p) => p.gatewayId === gw.gateway.id)
        .map((p) => `${p.status}/${p.reason}`);
    await waitFor(() => of(a)().length === 4 && of(b)().length === 4);
    expect(of(a)()).toEqual(['online/connect', 'offline/takeover', 'online/connect', 'offline/takeover']);
    expect(of(b)()).toEqual(['online/connect', 'offline/disconnect', 'online/connect', 'offline/disconnect']);
  });

  it('keeps $SYS and other devices’ commands away from a device, live and in its persisted queue', async () => {
    const token = await device('acl-1');
    const victimToken = await device('victim-1');
    // The victim has a persisted session on its commands: what is queued for it shows at its next CONNECT.
    const victimFirst = await connectRecording(b.port, 'victim-1', victimToken, { clean: false });
    await victimFirst.client.subscribeAsync('devices/victim-1/commands', { qos: 1 });
    await victimFirst.client.endAsync();
    const { client, inbox } = await connectRecording(a.port, 'acl-1', token, { clean: false });
    const err = (await client
      .subscribeAsync(['$SYS/#', 'devices/victim-1/commands', 'devices/+/commands', 'devices/acl-1/commands'], {
        qos: 1,
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      )) as ErrorWithSubackPacket;
    expect(err.packet.granted).toEqual([128, 128, 128, 1]);
    // Sent in this order over one Redis connection: a leak would arrive before the device's own.
    await b.gateway.sendCommand('victim-1', 'secret');
    await b.gateway.sendCommand('acl-1', 'mine');
    await waitFor(() => inbox.length >= 1);
    await client.endAsync();

    // aedes 1.2 would store the refused filters with the session: queued for it, on every instance.
    await a.gateway.sendCommand('victim-1', 'secret-2');
    await b.gateway.sendCommand('acl-1', 'mine-2');
    const again = await connectRecording(b.port, 'acl-1', token, { clean: false });
    await waitFor(() => again.inbox.length >= 1);
    // A sync through the other instance: anything else queued or forwarded would be here by now.
    expect(await a.gateway.sendCommand('acl-1', 'mine-3')).toBe(true);
    await waitFor(() => again.inbox.length >= 2);
    expect(inbox).toEqual([{ topic: 'devices/acl-1/commands', payload: 'mine' }]);
    expect(again.inbox).toEqual([
      { topic: 'devices/acl-1/commands', payload: 'mine-2' },
      { topic: 'devices/acl-1/commands', payload: 'mine-3' },
    ]);
    // A forged command published by the device is acknowledged and dead-lettered, never routed
    // through the cluster to the victim's persisted queue.
    await again.client.publishAsync('devices/victim-1/commands', 'forged', { qos: 1 });
    await again.client.publishAsync('devices/victim-1/telemetry', JSON.stringify({ event_id: 'x', t: 1 }), { qos: 1 });
    expect(again.client.connected).toBe(true);
    expect(dead.of('acl-1').map((d) => d.reason)).toEqual(['acl_denied', 'acl_denied']);
    expect(raw.of('victim-1')).toHaveLength(0);
    await again.client.endAsync();
    const victim = await connectRecording(a.port, 'victim-1', victimToken, { clean: false });
    expect(await b.gateway.sendCommand('victim-1', 'real')).toBe(true);
    await waitFor(() => victim.inbox.length >= 3);
    // (the queued ones and the live one may interleave)
    expect(victim.inbox.map((m) => m.payload).sort()).toEqual(['real', 'secret', 'secret-2']);
    await victim.client.endAsync();
  });
});
