import { type ChildProcess, spawn } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createDeviceRegistry } from '@telemetry/registry';
import { createTestStore, type TestStore, uniqueName, waitFor } from '@telemetry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * #15, overload with memory bounded: the bus takes nothing (the gateway's only durable consumer
 * is stalled, as with a frozen Kafka), so every PUBACK is withheld, while 20 devices write QoS 1
 * PUBLISHes as fast as their sockets take them for several seconds. The gateway (its own
 * process, reporting its own heap) holds at most `maxInflight` messages and stops reading the
 * sockets beyond that: what the devices could write stays bounded by TCP, and so does the
 * gateway's heap. Once the bus takes messages again, every PUBLISH is acknowledged, and only
 * after the bus has it.
 */
const DEVICES = 20;
const FLOOD_MS = process.env.RESILIENCE_SOAK === '1' ? 60_000 : 6_000;
const PAYLOAD = JSON.stringify({ metrics: { temperature: 21.5, humidity: 40 }, pad: 'x'.repeat(400) });

let db: TestStore;
let child: ChildProcess | undefined;
let out = '';
const sockets: Socket[] = [];

beforeAll(async () => {
  db = await createTestStore('postgres');
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  child?.kill('SIGKILL');
  await db?.drop();
});

/** MQTT 3.1.1 by hand: the load generator must not buffer what the socket does not take. */
const varint = (n: number) => {
  const bytes: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    bytes.push(b);
  } while (n > 0);
  return Buffer.from(bytes);
};
const str = (s: string) => {
  const b = Buffer.from(s);
  return Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
};
const packet = (header: number, body: Buffer) => Buffer.concat([Buffer.from([header]), varint(body.length), body]);
const connectPacket = (clientId: string, username: string, password: string) =>
  packet(
    0x10,
    Buffer.concat([str('MQTT'), Buffer.from([4, 0xc2, 0, 60]), str(clientId), str(username), str(password)]),
  );
const publishPacket = (topic: string, id: number, payload: string) =>
  packet(0x32, Buffer.concat([str(topic), Buffer.from([id >> 8, id & 0xff]), Buffer.from(payload)]));

/** A device that writes QoS 1 PUBLISHes while its socket takes them, and counts PUBACKs. */
function flooder(port: number, deviceId: string, token: string) {
  const socket = connect(port, '127.0.0.1');
  sockets.push(socket);
  const state = { sent: 0, acked: 0, connacked: false, stop: false, closed: false };
  let pending = Buffer.alloc(0);
  socket.on('data', (d: Buffer) => {
    pending = Buffer.concat([pending, d]);
    while (pending.length >= 2) {
      const len = pending[1] as number; // CONNACK and PUBACK are 4 bytes
      if (pending.length < 2 + len) break;
      const type = (pending[0] as number) >> 4;
      if (type === 2) state.connacked = pending[3] === 0;
      if (type === 4) state.acked++;
      pending = pending.subarray(2 + len);
    }
  });
  socket.on('close', () => {
    state.closed = true;
  });
  socket.on('error', () => undefined);
  socket.write(connectPacket(deviceId, deviceId, token));
  const run = async () => {
    await waitFor(() => state.connacked, { timeoutMs: 20_000, message: `${deviceId} connected` });
    let id = 0;
    while (!state.stop && !state.closed) {
      id = (id % 65_535) + 1;
      state.sent++;
      const ok = socket.write(publishPacket(`devices/${deviceId}/telemetry`, id, PAYLOAD));
      // nothing more until the socket took it: a device's own buffer stays one packet
      if (!ok) await drained(socket, state);
    }
  };
  return { state, run };
}

function drained(socket: Socket, state: { stop: boolean; closed: boolean }): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearInterval(poll);
      socket.off('drain', done);
      resolve();
    };
    const poll = setInterval(() => {
      if (state.stop || state.closed) done();
    }, 100);
    socket.once('drain', done);
  });
}

const mem = () => {
  const lines = [...out.matchAll(/^MEM (\d+) (\d+)$/gm)];
  return lines.map((m) => ({ heap: Number(m[1]), rss: Number(m[2]) }));
};
const got = () => Number([...out.matchAll(/^GOT (\d+)$/gm)].at(-1)?.[1] ?? 0);

describe('the gateway under overload while the bus takes nothing', () => {
  it('withholds PUBACKs, keeps its heap bounded, and acknowledges everything once the bus is back', async () => {
    const registry = createDeviceRegistry({ pool: db.store.pool });
    const tenantId = (
      await db.store.pool.query<{ id: string }>('INSERT INTO tenants (name) VALUES ($1) RETURNING id', [
        uniqueName('tenant'),
      ])
    ).rows[0]?.id as string;
    const devices: { id: string; token: string }[] = [];
    for (let i = 0; i < DEVICES; i++) {
      const id = uniqueName(`flood-${i}`);
      await registry.lifecycle.preRegister({ tenantId, deviceId: id });
      devices.push({ id, token: (await registry.lifecycle.rotateToken(id)).token });
    }
    const maxInflight = 1_000;
    const params = {
      databaseUrl: db.url,
      gatewayId: uniqueName('gw-flood'),
      maxInflight,
      topics: { raw: uniqueName('raw'), dead: uniqueName('dead'), presence: uniqueName('presence') },
    };
    const script = fileURLToPath(new URL('./fixtures/stalled-gateway-process.ts', import.meta.url));
    child = spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify(params)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    await waitFor(() => /PORT \d+/.test(out), { timeoutMs: 60_000, message: 'the gateway listening' });
    const port = Number(/PORT (\d+)/.exec(out)?.[1]);

    const flooders = devices.map((d) => flooder(port, d.id, d.token));
    const runs = flooders.map((f) => f.run());
    await waitFor(() => flooders.every((f) => f.state.connacked), { timeoutMs: 30_000, message: 'all connected' });
    await waitFor(() => mem().length > 0, { message: 'the gateway reports its memory' });
    const baseline = mem().at(-1) as { heap: number; rss: number };
    const samplesBefore = mem().length;
    await new Promise((r) => setTimeout(r, FLOOD_MS));
    const during = mem().slice(samplesBefore);
    const sentDuringStall = flooders.reduce((n, f) => n + f.state.sent, 0);
    const ackedDuringStall = flooders.reduce((n, f) => n + f.state.acked, 0);

    // the bus takes messages again: everything written is acknowledged, after the bus has it
    for (const f of flooders) f.state.stop = true;
    await Promise.all(runs);
    child.kill('SIGUSR2');
    const sent = flooders.reduce((n, f) => n + f.state.sent, 0);
    await waitFor(() => flooders.reduce((n, f) => n + f.state.acked, 0) === sent, {
      timeoutMs: 60_000,
      message: `every PUBLISH acknowledged after the bus came back (${sent} sent)`,
    });
    await waitFor(() => got() >= sent, { timeoutMs: 10_000, message: 'the bus has every acknowledged message' });

    const peakHeap = Math.max(...during.map((m) => m.heap));
    const peakRss = Math.max(...during.map((m) => m.rss));
    const mb = (b: number) => (b / 1024 / 1024).toFixed(1);
    console.log(
      `[resilience] overload: ${DEVICES} devices flooding ${FLOOD_MS} ms while the bus took nothing: ` +
        `${sentDuringStall} PUBLISHes taken by the sockets (${mb(sentDuringStall * (PAYLOAD.length + 40))} MB, kernel buffers included), ${ackedDuringStall} acknowledged; ` +
        `gateway heap ${mb(baseline.heap)} → peak ${mb(peakHeap)} MB, rss ${mb(baseline.rss)} → ${mb(peakRss)} MB; ` +
        `then all ${sent} acknowledged, ${got()} on the bus`,
    );
    expect(ackedDuringStall).toBe(0);
    expect(flooders.every((f) => !f.state.closed)).toBe(true);
    // bounded: maxInflight messages (~0.5 MB) plus socket buffers, far from what a device could offer
    expect(peakHeap - baseline.heap).toBeLessThan(64 * 1024 * 1024);
  }, 180_000);
});
