import type { Socket } from 'node:net';
import { type Bus, createMemoryBus } from '@telemetry/bus';
import { createTestStore, type TestStore } from '@telemetry/testing';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { connackCode, connectDevice, metricValue, rawSocket, startGateway, type TestGateway } from './helpers.js';

// What aedes 1.2 leaves open, closed by the gateway (see src/net/frame-guard.ts).

let db: TestStore;
let bus: Bus;
let gw: TestGateway;

beforeAll(async () => {
  db = await createTestStore('embedded');
  bus = createMemoryBus({ partitions: 2 });
  gw = await startGateway(bus, db.store, { connectsPerIpPerMinute: 10_000 });
});

afterAll(async () => {
  await gw?.close();
  await bus?.close();
  await db?.drop();
});

/**
 * Writes `total` bytes (one reused chunk, honouring backpressure) until the peer closes.
 * Returns how many bytes the socket took before it was closed.
 */
async function flood(socket: Socket, total: number): Promise<number> {
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  let written = 0;
  let closed = false;
  socket.on('error', () => undefined);
  const done = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.once('close', () => {
    closed = true;
  });
  while (!closed && written < total) {
    const ok = socket.write(chunk);
    written += chunk.length;
    if (!ok)
      await new Promise<void>((resolve) => (closed ? resolve() : socket.once('drain', resolve).once('close', resolve)));
  }
  await done;
  return written;
}

/** A fixed header announcing 256 MB: type, then 0xff 0xff 0xff 0x7f = 268,435,455 bytes. */
const HUGE = (type: number) => Buffer.from([type, 0xff, 0xff, 0xff, 0x7f]);

describe('aedes 1.2 gaps', () => {
  it('drops a connection whose first packet announces 256 MB, before buffering it', async () => {
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    const socket = await rawSocket(gw.port);
    socket.write(HUGE(0x10)); // CONNECT, 256 MB remaining length
    const accepted = await flood(socket, 128 * 1024 * 1024);
    const grown = process.memoryUsage().rss - rssBefore;
    // Without the guard the socket takes all 128 MB and aedes' parser holds it in one buffer list.
    expect(accepted).toBeLessThan(16 * 1024 * 1024);
    expect(grown).toBeLessThan(48 * 1024 * 1024);
    expect(
      await metricValue(gw.metrics, 'mqtt_connections_dropped_total', { reason: 'too_large' }),
    ).toBeGreaterThanOrEqual(1);
  });

  it('drops an authenticated device announcing a PUBLISH over the packet limit', async () => {
    const token = await gw.device('big-1');
    const client = await connectDevice(gw.port, 'big-1', token);
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    client.publish('devices/big-1/telemetry', Buffer.alloc(70_000, 0x20), { qos: 1 });
    await closed;
    client.end(true);
  });

  it('caps MQTT-over-WebSocket messages at the packet limit too', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${gw.wsPort}`, 'mqtt');
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const code = new Promise<number>((resolve) => ws.once('close', (c) => resolve(c)));
    ws.send(Buffer.concat([HUGE(0x10), Buffer.alloc(200_000)]));
    expect(await code).toBe(1009); // message too big
  });

  it('rate-limits connections per IP (token bucket): the socket is closed before CONNECT is read', async () => {
    const limited = await startGateway(bus, db.store, { connectsPerIpPerMinute: 3, wsPort: -1 });
    try {
      const token = await limited.device('rate-1');
      for (let i = 0; i < 3; i++) {
        expect(await connackCode(limited.port, { clientId: 'rate-1', username: 'rate-1', password: token })).toBe(0);
      }
      const refused = mqtt.connect(`mqtt://127.0.0.1:${limited.port}`, {
        clientId: 'rate-1',
        username: 'rate-1',
        password: token,
        reconnectPeriod: 0,
      });
      let connected = false;
      refused.once('connect', () => {
        connected = true;
      });
      await new Promise<void>((resolve) => refused.once('close', () => resolve()));
      refused.end(true);
      expect(connected).toBe(false);
      expect(await metricValue(limited.metrics, 'mqtt_connects_refused_total', { reason: 'rate_limited' })).toBe(1);
    } finally {
      await limited.close();
    }
  });
});
