import { type Socket, connect as tcpConnect } from 'node:net';
import type { Bus, IncomingMessage, Subscription } from '@telemetry/bus';
import {
  createRegistry as createMetricsRegistry,
  type Registry as MetricsRegistry,
  silentLogger,
} from '@telemetry/observability';
import { createDeviceRegistry, type DeviceRegistry } from '@telemetry/registry';
import type { Store } from '@telemetry/store';
import { uniqueName } from '@telemetry/testing';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { createGateway, type Gateway, type GatewayOptions, type GatewayTopics } from '../src/index.js';

export interface TestGateway {
  gateway: Gateway;
  registry: DeviceRegistry;
  metrics: MetricsRegistry;
  topics: GatewayTopics;
  port: number;
  wsPort: number;
  /** -1 unless the options asked for them. */
  proxyPort: number;
  wsProxyPort: number;
  tenantId: string;
  /** Registers an active device of the test tenant; returns its token. */
  device(id: string): Promise<string>;
  close(): Promise<void>;
}

/** A gateway on free ports, its own topic names, a tenant; the store is the test file's. */
export async function startGateway(
  bus: Bus,
  store: Store,
  options: Partial<GatewayOptions> = {},
): Promise<TestGateway> {
  const registry = createDeviceRegistry({ pool: store.pool });
  const metrics = createMetricsRegistry();
  const topics: GatewayTopics = {
    raw: uniqueName('raw'),
    dead: uniqueName('dead'),
    presence: uniqueName('presence'),
    commands: uniqueName('commands'),
  };
  const tenantId = (
    await store.pool.query<{ id: string }>('INSERT INTO tenants (name) VALUES ($1) RETURNING id', [
      uniqueName('tenant'),
    ])
  ).rows[0]!.id;
  const gateway = createGateway({
    bus,
    registry,
    logger: silentLogger(),
    metrics,
    gatewayId: uniqueName('gw'),
    topics,
    options: {
      host: '127.0.0.1',
      port: 0,
      wsPort: 0,
      maxPacketBytes: 65_536,
      maxPayloadBytes: 4_096,
      maxInflight: 10_000,
      connectsPerIpPerMinute: 10_000,
      ...options,
    },
  });
  const { port, wsPort, proxyPort, wsProxyPort } = await gateway.start();
  return {
    gateway,
    registry,
    metrics,
    topics,
    port,
    wsPort,
    proxyPort,
    wsProxyPort,
    tenantId,
    async device(id) {
      await registry.lifecycle.preRegister({ tenantId, deviceId: id });
      return (await registry.lifecycle.rotateToken(id)).token;
    },
    close: () => gateway.close(),
  };
}

/** An mqtt.js client that never reconnects by itself; resolves on CONNACK 0, rejects on refusal. */
export function connectDevice(
  port: number,
  deviceId: string,
  token: string,
  extra: IClientOptions = {},
): Promise<MqttClient> {
  return mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
    clientId: deviceId,
    username: deviceId,
    password: token,
    reconnectPeriod: 0,
    connectTimeout: 10_000,
    ...extra,
  });
}

export interface Received {
  topic: string;
  payload: string;
}

/** A device whose messages are recorded from the CONNACK on (queued ones arrive right after it). */
export async function connectRecording(
  port: number,
  deviceId: string,
  token: string,
  extra: IClientOptions = {},
): Promise<{ client: MqttClient; inbox: Received[]; sessionPresent: boolean }> {
  const inbox: Received[] = [];
  const client = mqtt.connect(`mqtt://127.0.0.1:${port}`, {
    clientId: deviceId,
    username: deviceId,
    password: token,
    reconnectPeriod: 0,
    ...extra,
  });
  client.on('message', (topic, payload) => inbox.push({ topic, payload: payload.toString() }));
  const sessionPresent = await new Promise<boolean>((resolve, reject) => {
    client.once('connect', (connack) => resolve(connack.sessionPresent));
    client.once('error', reject);
  });
  return { client, inbox, sessionPresent };
}

/** The CONNACK return code a CONNECT gets (0 = accepted). */
export async function connackCode(port: number, options: IClientOptions): Promise<number> {
  const client = mqtt.connect(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, ...options });
  try {
    return await new Promise<number>((resolve, reject) => {
      client.once('connect', () => resolve(0));
      client.once('error', (err: Error & { code?: number }) =>
        typeof err.code === 'number' ? resolve(err.code) : reject(err),
      );
    });
  } finally {
    client.end(true);
  }
}

/**
 * Everything a consumer group reads from a topic, in order. Create ONE per topic per test file
 * and keep it: a memory-bus group that was durable once stays durable, so a closed collector
 * would hold up every later publish. Tests tell their messages apart by key (device id).
 */
export interface Tap {
  messages: IncomingMessage[];
  /** Decoded JSON values of this device's messages, in order. */
  of(deviceId: string): Record<string, unknown>[];
  subscription: Subscription;
}

export async function tap(bus: Bus, topic: string, options: { hold?: () => Promise<void> } = {}): Promise<Tap> {
  const messages: IncomingMessage[] = [];
  const subscription = await bus.subscribe({
    groupId: uniqueName('tap'),
    topics: [topic],
    durable: true,
    fromBeginning: true,
    handler: async (batch) => {
      if (options.hold) await options.hold();
      messages.push(...batch.messages);
    },
  });
  await subscription.ready;
  return {
    messages,
    of: (deviceId) =>
      messages
        .filter((m) => m.key === deviceId)
        .map((m) => JSON.parse(m.value.toString('utf8')) as Record<string, unknown>),
    subscription,
  };
}

/** A raw TCP socket to the gateway, for bytes mqtt.js would never send. */
export function rawSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Value of a counter/gauge series from the prom registry (0 when absent). */
export async function metricValue(
  metrics: MetricsRegistry,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const metric = metrics.getSingleMetric(name);
  if (!metric) return 0;
  const { values } = await metric.get();
  const match = values.find((v) => Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want));
  return match?.value ?? 0;
}

/** Sends a hand-encoded MQTT 3.1.1 CONNECT (mqtt.js and mqtt-packet refuse to build some) and returns the CONNACK code. */
export async function rawConnack(
  port: number,
  connect: { clientId: string; clean: boolean; username?: string; password?: string },
): Promise<number> {
  const socket = await rawSocket(port);
  try {
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    const code = new Promise<number>((resolve, reject) => {
      parser.once('packet', (p: Packet) =>
        p.cmd === 'connack' ? resolve(p.returnCode ?? -1) : reject(new Error(p.cmd)),
      );
      socket.on('data', (chunk) => parser.parse(chunk));
      socket.once('close', () => reject(new Error('closed without CONNACK')));
    });
    socket.write(encodeConnect(connect));
    return await code;
  } finally {
    socket.destroy();
  }
}

/** A session opened with a hand-encoded CONNECT (e.g. an empty client id): the socket, once CONNACK 0 came. */
export async function rawSession(
  port: number,
  connect: { clientId: string; clean: boolean; username?: string; password?: string },
): Promise<Socket> {
  const socket = await rawSocket(port);
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  const accepted = new Promise<void>((resolve, reject) => {
    parser.once('packet', (p: Packet) => {
      if (p.cmd !== 'connack') return reject(new Error(p.cmd));
      if (p.returnCode !== 0) return reject(new Error(`CONNACK ${p.returnCode ?? -1}`));
      resolve();
    });
    socket.once('close', () => reject(new Error('closed without CONNACK')));
  });
  socket.on('data', (chunk) => parser.parse(chunk));
  socket.write(encodeConnect(connect));
  await accepted;
  return socket;
}

function encodeConnect(c: { clientId: string; clean: boolean; username?: string; password?: string }): Buffer {
  const str = (s: string) => {
    const b = Buffer.from(s, 'utf8');
    const len = Buffer.alloc(2);
    len.writeUInt16BE(b.length);
    return Buffer.concat([len, b]);
  };
  const flags = (c.username !== undefined ? 0x80 : 0) | (c.password !== undefined ? 0x40 : 0) | (c.clean ? 0x02 : 0);
  const body = Buffer.concat([
    str('MQTT'),
    Buffer.from([4, flags, 0, 30]), // level 4 (3.1.1), flags, keepalive 30 s
    str(c.clientId),
    ...(c.username !== undefined ? [str(c.username)] : []),
    ...(c.password !== undefined ? [str(c.password)] : []),
  ]);
  if (body.length > 127) throw new Error('test CONNECT too long for a one-byte remaining length');
  return Buffer.concat([Buffer.from([0x10, body.length]), body]);
}
