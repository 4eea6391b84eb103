import { createServer, type Server, connect as tcpConnect } from 'node:net';
import { type Bus, createMemoryBus } from '@telemetry/bus';
import { createTestStore, type TestStore, waitFor } from '@telemetry/testing';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricValue, rawConnack, startGateway, type Tap, type TestGateway, tap } from './helpers.js';

// The listeners behind a load balancer (MQTT_PROXY_PORT, MQTT_WS_PROXY_PORT). A relay here plays
// the proxy, as HAProxy's send-proxy(-v2) does, with an address of our choosing; the real HAProxy
// runs in front of the gateways in services/stack/test/topology.test.ts.

let db: TestStore;
let bus: Bus;
let gw: TestGateway;
let raw: Tap;
const relays: Server[] = [];

/** A TCP relay to `port` that opens each connection with a PROXY header claiming `client`. */
async function relay(port: number, client: string, version: 1 | 2): Promise<number> {
  const server = createServer((inbound) => {
    const outbound = tcpConnect(port, '127.0.0.1', () => {
      outbound.write(version === 1 ? v1(client) : v2(client));
      inbound.pipe(outbound).pipe(inbound);
    });
    const end = () => {
      inbound.destroy();
      outbound.destroy();
    };
    inbound.on('error', end).on('close', end);
    outbound.on('error', end).on('close', end);
  });
  relays.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}
const v1 = (ip: string) => Buffer.from(`PROXY TCP4 ${ip} 127.0.0.1 40000 1883\r\n`);
function v2(ip: string): Buffer {
  const body = Buffer.from([...ip.split('.').map(Number), 127, 0, 0, 1, 0x9c, 0x40, 0x07, 0x5b]);
  const sig = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
  return Buffer.concat([sig, Buffer.from([0x21, 0x11, 0x00, body.length]), body]);
}

beforeAll(async () => {
  db = await createTestStore('embedded');
  bus = createMemoryBus({ partitions: 2 });
  // two CONNECTs per client address per minute: the third from one address is refused
  gw = await startGateway(bus, db.store, { proxyPort: 0, wsProxyPort: 0, connectsPerIpPerMinute: 2 });
  raw = await tap(bus, gw.topics.raw);
});

afterAll(async () => {
  for (const r of relays) r.close();
  await gw?.close();
  await bus?.close();
  await db?.drop();
});

const connectVia = (url: string, deviceId: string, token: string) =>
  mqtt.connectAsync(url, { clientId: deviceId, username: deviceId, password: token, reconnectPeriod: 0 });

/** 'accepted' on CONNACK 0, 'closed' when the socket is closed before any CONNACK. */
function attempt(url: string, deviceId: string, token: string): Promise<'accepted' | 'closed'> {
  const client = mqtt.connect(url, { clientId: deviceId, username: deviceId, password: token, reconnectPeriod: 0 });
  return new Promise((resolve) => {
    client.once('connect', () => {
      client.end(true);
      resolve('accepted');
    });
    client.once('close', () => resolve('closed'));
    client.once('error', () => undefined);
  });
}

describe('MQTT behind a PROXY protocol load balancer', () => {
  it('accepts a device over TCP with a v2 header and bridges its QoS 1 publish', async () => {
    const token = await gw.device('proxy-tcp');
    const port = await relay(gw.proxyPort, '203.0.113.7', 2);
    const client = await connectVia(`mqtt://127.0.0.1:${port}`, 'proxy-tcp', token);
    await client.publishAsync('devices/proxy-tcp/telemetry', JSON.stringify({ event_id: 'p1', temp: 21 }), { qos: 1 });
    await waitFor(() => raw.of('proxy-tcp').length === 1, { timeoutMs: 10_000 });
    await client.endAsync();
  });

  it('accepts a device over WebSocket with a v1 header', async () => {
    const token = await gw.device('proxy-ws');
    const port = await relay(gw.wsProxyPort, '203.0.113.8', 1);
    const client = await connectVia(`ws://127.0.0.1:${port}`, 'proxy-ws', token);
    await client.publishAsync('devices/proxy-ws/telemetry', JSON.stringify({ event_id: 'w1', temp: 22 }), { qos: 1 });
    await waitFor(() => raw.of('proxy-ws').length === 1, { timeoutMs: 10_000 });
    await client.endAsync();
  });

  it('limits connects per client address from the header, not per proxy address', async () => {
    const token = await gw.device('proxy-limit');
    const { proxyPort } = gw;
    const busy = await relay(proxyPort, '198.51.100.1', 2);
    const other = await relay(proxyPort, '198.51.100.2', 2);
    const busyUrl = `mqtt://127.0.0.1:${busy}`;
    expect(await attempt(busyUrl, 'proxy-limit', token)).toBe('accepted');
    expect(await attempt(busyUrl, 'proxy-limit', token)).toBe('accepted');
    expect(await attempt(busyUrl, 'proxy-limit', token)).toBe('closed');
    expect(await metricValue(gw.metrics, 'mqtt_connects_refused_total', { reason: 'rate_limited' })).toBe(1);
    // every connection reached the gateway from 127.0.0.1: the other client is still welcome
    expect(await attempt(`mqtt://127.0.0.1:${other}`, 'proxy-limit', token)).toBe('accepted');
  });

  it('closes a connection that does not start with a PROXY header', async () => {
    const token = await gw.device('proxy-none');
    const { proxyPort } = gw;
    await expect(
      rawConnack(proxyPort, { clientId: 'proxy-none', clean: true, username: 'proxy-none', password: token }),
    ).rejects.toThrow('closed without CONNACK');
    expect(await metricValue(gw.metrics, 'mqtt_connects_refused_total', { reason: 'proxy_header' })).toBe(1);
  });
});
