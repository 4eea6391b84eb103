/**
 * The load generator, a child process of the bench: MQTT 3.1.1 clients publishing QoS 1 with a
 * bounded in-flight window each, paced open-loop (see pace.ts). Lean on purpose (no per-device
 * state files, no profiles): at tens of thousands of messages/s the simulator's per-event work
 * would make the generator the limit. Measured alone against mosquitto by the bench.
 */
import type { Socket } from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';
import { emit, serve } from '../rpc.js';
import { percentiles, Reservoir } from '../stats.js';
import { createEpisodeCounter } from './episodes.js';
import { createPacer } from './pace.js';
import {
  type ConnectParams,
  type ConnectResult,
  type LoadDevice,
  payloadFor,
  type RunParams,
  type RunResult,
} from './protocol.js';
import { DISCONNECT, rawConnect } from './raw-connect.js';

interface Conn {
  device: LoadDevice;
  client: MqttClient;
  seq: number;
  inflight: Map<number, number>;
  notAcked: number[];
  published: number;
  episodes: ReturnType<typeof createEpisodeCounter>;
}

let conns: Conn[] = [];
const errors: string[] = [];
const noteError = (msg: string) => {
  if (errors.length < 20) errors.push(msg);
};

function connectOne(url: string, device: LoadDevice): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(url, {
      protocolVersion: 4,
      clientId: device.clientId,
      username: device.username,
      password: device.password,
      clean: true,
      keepalive: 120,
      connectTimeout: 60_000,
      // a dropped connection is a result to report, not something to paper over
      reconnectPeriod: 0,
      resubscribe: false,
    });
    const fail = (err: Error) => {
      client.end(true);
      reject(err);
    };
    client.once('connect', () => {
      client.off('error', fail);
      client.on('error', (err) => noteError(`${device.clientId}: ${err.message}`));
      client.on('close', () => {
        if (running) noteError(`${device.clientId}: connection closed during the run`);
      });
      resolve(client);
    });
    client.once('error', fail);
  });
}

async function connect(p: ConnectParams): Promise<ConnectResult> {
  const samples: number[] = [];
  let failed = 0;
  let next = 0;
  const opened: (Conn | undefined)[] = new Array(p.devices.length);
  const t0 = performance.now();
  const worker = async () => {
    while (next < p.devices.length) {
      const i = next++;
      const device = p.devices[i] as LoadDevice;
      const started = performance.now();
      try {
        const client = await connectOne(p.url, device);
        samples.push(performance.now() - started);
        opened[i] = {
          device,
          client,
          seq: 0,
          inflight: new Map(),
          notAcked: [],
          published: 0,
          episodes: createEpisodeCounter(),
        };
      } catch (err) {
        failed++;
        noteError(`${device.clientId}: ${(err as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(p.concurrency, p.devices.length) }, worker));
  const seconds = (performance.now() - t0) / 1000;
  conns.push(...opened.filter((c): c is Conn => c !== undefined));
  return {
    connected: samples.length,
    failed,
    seconds,
    connectsPerSec: samples.length / seconds,
    connackMs: percentiles(samples),
    errors: errors.splice(0),
  };
}

let running = false;
let stormSockets: Socket[] = [];

/**
 * The connect storm: bare CONNECT packets (raw-connect.ts), `concurrency` outstanding, each
 * connection kept open until disconnect() (the broker holds every session at the end, as it would).
 */
async function storm(p: ConnectParams): Promise<ConnectResult> {
  const samples: number[] = [];
  let failed = 0;
  let next = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (next < p.devices.length) {
      const device = p.devices[next++] as LoadDevice;
      const started = performance.now();
      try {
        stormSockets.push(await rawConnect(p.url, device, 60_000));
        samples.push(performance.now() - started);
      } catch (err) {
        failed++;
        noteError(`${device.clientId}: ${(err as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(p.concurrency, p.devices.length) }, worker));
  const seconds = (performance.now() - t0) / 1000;
  return {
    connected: samples.length,
    failed,
    seconds,
    connectsPerSec: samples.length / seconds,
    connackMs: percentiles(samples),
    errors: errors.splice(0),
  };
}

async function run(p: RunParams): Promise<RunResult> {
  if (conns.length === 0) throw new Error('no connected devices: call connect first');
  const pending: number[] = conns.map(() => 0);
  const pacer = p.rate > 0 ? createPacer(p.rate, conns.length) : undefined;
  const puback = new Reservoir(200_000);
  let acked = 0;
  let published = 0;
  let episodes = 0;
  // per tick and device owed a publish: was its window full (the stack's back-pressure)?
  let owed = 0;
  let full = 0;
  let stopped = false;
  for (const c of conns) {
    c.seq = 0;
    c.published = 0;
    c.notAcked = [];
    c.inflight.clear();
  }

  const pump = (i: number) => {
    const c = conns[i] as Conn;
    while (!stopped && c.inflight.size < p.window && (pacer ? (pending[i] ?? 0) > 0 : true)) {
      if (pacer) pending[i] = (pending[i] ?? 0) - 1;
      const seq = c.seq++;
      const at = Date.now();
      c.inflight.set(seq, performance.now());
      c.published++;
      published++;
      if (c.episodes.publish(seq, at)) episodes++;
      c.client.publish(c.device.topic, payloadFor(p.tag, seq, at), { qos: 1 }, (err) => {
        const sentAt = c.inflight.get(seq);
        if (sentAt === undefined) return; // given up on at the end of the drain
        c.inflight.delete(seq);
        if (err) {
          c.notAcked.push(seq);
          noteError(`${c.device.clientId}: ${err.message}`);
        } else {
          acked++;
          puback.add(performance.now() - sentAt);
        }
        pump(i);
      });
      // a window of 1 per device at a huge rate must not recurse through synchronous callbacks
    }
  };

  running = true;
  const t0 = performance.now();
  const progress = setInterval(() => emit('progress', { published, acked }), 1000);
  await new Promise<void>((resolve) => {
    const tick = () => {
      const elapsed = performance.now() - t0;
      if (elapsed >= p.durationMs) {
        stopped = true;
        resolve();
        return;
      }
      if (pacer) {
        if (pacer.due(elapsed, pending) > 0) for (let i = 0; i < conns.length; i++) if ((pending[i] ?? 0) > 0) pump(i);
        for (let i = 0; i < conns.length; i++) {
          if ((pending[i] ?? 0) <= 0) continue;
          owed++;
          if ((conns[i] as Conn).inflight.size >= p.window) full++;
        }
      } else {
        for (let i = 0; i < conns.length; i++) pump(i);
      }
      setTimeout(tick, pacer ? 2 : 20);
    };
    tick();
  });
  const seconds = (performance.now() - t0) / 1000;
  // PUBACKs still on their way
  const deadline = performance.now() + p.drainTimeoutMs;
  while (conns.some((c) => c.inflight.size > 0) && performance.now() < deadline)
    await new Promise((r) => setTimeout(r, 20));
  clearInterval(progress);
  running = false;
  for (const c of conns) {
    for (const seq of c.inflight.keys()) c.notAcked.push(seq);
    c.inflight.clear();
  }
  const notAcked = conns.reduce((n, c) => n + c.notAcked.length, 0);
  return {
    published,
    acked,
    notAcked,
    backlog: pending.reduce((a, b) => a + b, 0),
    seconds,
    offeredPerSec: published / seconds,
    ackedPerSec: acked / seconds,
    pubackMs: percentiles(puback.values),
    perDevice: conns.map((c) => ({ clientId: c.device.clientId, published: c.published, notAcked: c.notAcked })),
    episodes,
    windowFullShare: owed > 0 ? full / owed : 0,
    errors: errors.splice(0),
  };
}

async function disconnect(): Promise<{ closed: number }> {
  const closing = conns;
  const raw = stormSockets;
  conns = [];
  stormSockets = [];
  await Promise.all(closing.map((c) => new Promise<void>((resolve) => c.client.end(false, {}, () => resolve()))));
  for (const socket of raw) socket.end(DISCONNECT);
  return { closed: closing.length + raw.length };
}

serve(
  {
    connect: (p: ConnectParams) => connect(p),
    storm: (p: ConnectParams) => storm(p),
    run: (p: RunParams) => run(p),
    disconnect: () => disconnect(),
  },
  async () => {
    for (const c of conns) c.client.end(true);
    for (const socket of stormSockets) socket.destroy();
  },
);
