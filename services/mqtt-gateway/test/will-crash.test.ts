import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { type Bus, createMemoryBus } from '@telemetry/bus';
import { derivedEventId } from '@telemetry/contracts';
import { createRegistry as createMetricsRegistry, silentLogger } from '@telemetry/observability';
import { createDeviceRegistry, type DeviceRegistry } from '@telemetry/registry';
import { createTestStore, type TestStore, uniqueName, waitFor } from '@telemetry/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway, type Gateway, type GatewayTopics } from '../src/index.js';
import { connectDevice, type Tap, tap } from './helpers.js';

// A gateway instance dies (SIGKILL, in its own process) with a device connected that has a will.
// The two survivors both find the will of the dead instance in Redis; it must reach the bus once.
const REDIS_URL = process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379';
const prefix = `${uniqueName('mqtt-wills')}:`;
const HEARTBEAT_MS = 300;

let db: TestStore;
let bus: Bus;
let registry: DeviceRegistry;
let tenantId: string;
let topics: GatewayTopics;
let survivors: Gateway[] = [];
let raw: Tap;
let child: ChildProcess | undefined;
const redis = new Redis(REDIS_URL);

function survivor(): Promise<Gateway> {
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
      maxInflight: 1_000,
      connectsPerIpPerMinute: 10_000,
      redisUrl: REDIS_URL,
      redisPrefix: prefix,
      heartbeatIntervalMs: HEARTBEAT_MS,
    },
  });
  return gateway.start().then(() => gateway);
}

async function doomedInstance(gatewayId: string): Promise<number> {
  const script = fileURLToPath(new URL('./fixtures/gateway-process.ts', import.meta.url));
  const params = {
    databaseUrl: db.url,
    redisUrl: REDIS_URL,
    redisPrefix: prefix,
    heartbeatMs: HEARTBEAT_MS,
    gatewayId,
    topics,
  };
  child = spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify(params)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  await waitFor(() => /PORT \d+/.test(out), { timeoutMs: 30_000, message: 'the doomed instance listening' });
  return Number(/PORT (\d+)/.exec(out)?.[1]);
}

beforeAll(async () => {
  db = await createTestStore('postgres');
  bus = createMemoryBus({ partitions: 2 });
  registry = createDeviceRegistry({ pool: db.store.pool });
  tenantId = (
    await db.store.pool.query<{ id: string }>('INSERT INTO tenants (name) VALUES ($1) RETURNING id', [
      uniqueName('tenant'),
    ])
  ).rows[0]!.id;
  topics = { raw: uniqueName('raw'), dead: uniqueName('dead'), presence: uniqueName('presence') };
  survivors = [await survivor(), await survivor()];
  raw = await tap(bus, topics.raw);
});

afterAll(async () => {
  child?.kill('SIGKILL');
  for (const s of survivors) await s.close();
  await bus?.close();
  await db?.drop();
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

describe('wills of a crashed gateway instance (Redis cluster)', () => {
  it('reach the bus once, bridged by one of the survivors', async () => {
    const deviceId = uniqueName('will-dev');
    await registry.lifecycle.preRegister({ tenantId, deviceId });
    const { token } = await registry.lifecycle.rotateToken(deviceId);
    const doomedId = uniqueName('gw-doomed');
    const port = await doomedInstance(doomedId);
    const device = await connectDevice(port, deviceId, token, {
      will: { topic: `devices/${deviceId}/status`, payload: Buffer.from('{"online":false}'), qos: 1, retain: false },
      keepalive: 0,
    });
    device.on('error', () => undefined);
    await waitFor(async () => (await redis.llen(`${prefix}will`)) > 0, { timeoutMs: 10_000, message: 'will stored' });
    const [stored] = await redis.lrange(`${prefix}will`, 0, -1);
    child?.kill('SIGKILL');
    await once(child!, 'exit');
    device.end(true);

    // dead after 3 heartbeats without one; wills checked every 4
    await waitFor(() => raw.of(deviceId).length > 0, { timeoutMs: 30_000, message: 'the will on the bus' });
    const deadBrokerId = stored!.split(':')[1]!;
    expect(deadBrokerId.startsWith(doomedId)).toBe(true);
    // the will is gone from Redis, and several more rounds of both survivors add nothing
    await waitFor(async () => (await redis.llen(`${prefix}will`)) === 0, { timeoutMs: 10_000 });
    await new Promise((r) => setTimeout(r, HEARTBEAT_MS * 4 * 3));
    const wills = raw.of(deviceId);
    expect(wills).toHaveLength(1);
    expect(wills[0]).toMatchObject({
      deviceId,
      tenantId,
      eventId: derivedEventId('will', deviceId, `${deadBrokerId}|${deviceId}`),
    });
  });
});
