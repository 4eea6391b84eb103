import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMemoryBus, type IncomingMessage } from '@telemetry/bus';
import { decodeMessage, TelemetryDeadV1, TelemetryRawV1 } from '@telemetry/contracts';
import { silentLogger } from '@telemetry/observability';
import { createDeviceRegistry } from '@telemetry/registry';
import { createTestStore, type TestStore, uniqueName } from '@telemetry/testing';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeviceRoutes } from '../src/device-routes/index.js';
import { lateWindowOf } from '../src/device-routes/late-window.js';

// #14: what the pipeline would dead-letter as too_late is answered 422 problem+json with the
// reason instead of {"ack": true}; a tenant with a long late window (history) gets the seed's
// answer as before.
let db: TestStore;
let server: Server;
let base: string;
const topics = { raw: uniqueName('raw'), dead: uniqueName('dead') };
const bus = createMemoryBus({ partitions: 2 });
const raw: IncomingMessage[] = [];
const dead: IncomingMessage[] = [];
const tokens: Record<string, string> = {};

// the ozone seed's own example event (003), as written
const seedEvent = (deviceId: string) => ({
  device_id: deviceId,
  firmware: '1.0.0',
  event_id: `${deviceId}-0000000123`,
  event: 'treatment',
  treatment: 'BASIC',
  counter: 124,
  ts: '2025-09-16T12:34:56Z',
});

beforeAll(async () => {
  db = await createTestStore('embedded');
  const registry = createDeviceRegistry({ pool: db.store.pool });
  const tenant = async (settings: unknown) =>
    (
      await db.store.pool.query<{ id: string }>('INSERT INTO tenants (name, settings) VALUES ($1, $2) RETURNING id', [
        uniqueName('t'),
        JSON.stringify(settings),
      ])
    ).rows[0]!.id;
  const recent = await tenant({});
  const history = await tenant({ ingest: { lateWindowDays: 3650 } });
  for (const [id, tenantId] of [
    ['late-1', recent],
    ['hist-1', history],
  ] as const) {
    await registry.lifecycle.preRegister({ tenantId, deviceId: id });
    tokens[id] = (await registry.lifecycle.rotateToken(id)).token;
  }
  await bus.ensureTopics([{ name: topics.raw }, { name: topics.dead }]);
  for (const [topic, into] of [
    [topics.raw, raw],
    [topics.dead, dead],
  ] as const) {
    await bus.subscribe({
      groupId: uniqueName('g'),
      topics: [topic],
      handler: async (b) => void into.push(...b.messages),
    });
  }
  const app = express();
  app.use(
    createDeviceRoutes({
      bus,
      deviceRegistry: registry,
      logger: silentLogger(),
      topics,
      ratePerMinute: 10_000,
      lateWindow: lateWindowOf(db.store, 7 * 86_400_000),
    }),
  );
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server?.close(r));
  await bus.close();
  await db?.drop();
});

const post = (path: string, deviceId: string, body: unknown) =>
  fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[deviceId]}` },
    body: JSON.stringify(body),
  });

describe('device HTTP routes answer what they would dead-letter', () => {
  it('a reading older than the tenant’s late window: 422 too_late problem+json, dead-lettered, not published', async () => {
    const res = await post('/api/device/events/', 'late-1', seedEvent('late-1'));
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const problem = (await res.json()) as { detail?: string; message?: string };
    expect(problem).toMatchObject({ status: 422, code: 'TELEMETRY_TOO_LATE', reason: 'too_late' });
    expect(problem.detail ?? problem.message).toMatch(/older than the tenant's late window \(7 days\)/);
    expect(raw.filter((m) => m.key === 'late-1')).toHaveLength(0);
    const letters = dead.filter((m) => m.key === 'late-1').map((m) => decodeMessage(TelemetryDeadV1, m.value));
    expect(letters.map((l) => [l.reason, l.source, l.eventId])).toEqual([['too_late', 'http', 'late-1-0000000123']]);

    // a batch with one late reading is refused whole, naming it
    const batch = await post('/api/device/readings/', 'late-1', [
      { timestamp: new Date().toISOString(), reading: 1, device_id: 'late-1' },
      { timestamp: '2022-01-21T10:56:18.950901', reading: 0.63, device_id: 'late-1' },
    ]);
    expect(batch.status).toBe(422);
    expect(((await batch.json()) as { errors: unknown }).errors).toEqual([
      { path: '[1].ts', message: expect.stringMatching(/too late/) },
    ]);
    // a current reading is acknowledged as before
    const now = await post('/api/device/events/', 'late-1', {
      ...seedEvent('late-1'),
      event_id: 'n-1',
      ts: new Date().toISOString(),
    });
    expect(now.status).toBe(200);
  });

  it('the seed’s example request in a tenant keeping history: answered as the seed documents, and published', async () => {
    const res = await post('/api/device/events/', 'hist-1', seedEvent('hist-1'));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ack: true, event_id: 'hist-1-0000000123' });
    expect(raw.filter((m) => m.key === 'hist-1').map((m) => decodeMessage(TelemetryRawV1, m.value).ts)).toEqual([
      '2025-09-16T12:34:56.000Z',
    ]);
  });
});
