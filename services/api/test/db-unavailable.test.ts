import type { Server } from 'node:http';
import { type Bus, createMemoryBus } from '@telemetry/bus';
import { silentLogger } from '@telemetry/observability';
import { createDeviceRegistry, type DeviceRegistry } from '@telemetry/registry';
import { createStore, type Store } from '@telemetry/store';
import { createTestStore, startTcpProxy, type TcpProxy, type TestStore, uniqueName } from '@telemetry/testing';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeviceRoutes } from '../src/device-routes/index.js';

/**
 * #15: the device HTTP routes answered 500 while PostgreSQL was unreachable. A device retries on
 * 503 + Retry-After, so that is what they must say: the api reaches the machine's PostgreSQL
 * through a proxy this test takes down, then brings back.
 */
let db: TestStore;
let proxy: TcpProxy;
let store: Store;
let bus: Bus;
let registry: DeviceRegistry;
let server: Server;
let base: string;
let tenantId: string;
const topics = { raw: uniqueName('raw'), dead: uniqueName('dead') };

beforeAll(async () => {
  db = await createTestStore('postgres');
  proxy = await startTcpProxy({ port: Number(new URL(db.url).port || 5432) });
  store = await createStore({ databaseUrl: proxy.url(db.url), dataDir: 'memory://', port: 0, poolSize: 2 });
  registry = createDeviceRegistry({ pool: store.pool, tokenGraceMs: 60_000 });
  tenantId = (
    await store.pool.query<{ id: string }>('INSERT INTO tenants (name) VALUES ($1) RETURNING id', [uniqueName('t')])
  ).rows[0]!.id;
  bus = createMemoryBus({ partitions: 1 });
  await bus.ensureTopics([{ name: topics.raw }, { name: topics.dead }]);
  const app = express();
  app.use(createDeviceRoutes({ bus, deviceRegistry: registry, logger: silentLogger(), topics, ratePerMinute: 10_000 }));
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const address = server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});
afterAll(async () => {
  await new Promise((r) => server?.close(r));
  await bus?.close();
  await store?.close();
  await proxy?.close();
  await db?.drop();
});

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

describe('device HTTP routes while PostgreSQL is unreachable', () => {
  it('answer 503 problem+json with Retry-After, then serve again once it is back', async () => {
    await registry.lifecycle.preRegister({ tenantId, deviceId: 'du-1', mac: 'AA:BB:CC:00:11:22' });
    const { token } = await registry.lifecycle.rotateToken('du-1');
    const event = { device_id: 'du-1', event_id: 'du-1-1', event: 'heartbeat', ts: '2025-09-16T12:34:56Z' };

    proxy.down();
    for (const res of [
      await post('/api/handshake/', { mac: 'AA:BB:CC:00:11:22', firmware: '1.0.0' }),
      await post('/api/device/events/', event, { authorization: `Bearer ${token}` }),
    ]) {
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(await res.json()).toMatchObject({ status: 503, code: 'UNAVAILABLE' });
    }

    proxy.up();
    const hs = await post('/api/handshake/', { mac: 'AA:BB:CC:00:11:22', firmware: '1.0.0' });
    expect(hs.status).toBe(200);
    const again = await post('/api/device/events/', event, { authorization: `Bearer ${token}` });
    expect(again.status).toBe(200);
  });
});
