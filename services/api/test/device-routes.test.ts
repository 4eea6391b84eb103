import { execFile } from 'node:child_process';
import type { Server } from 'node:http';
import { promisify } from 'node:util';
import { type Bus, createMemoryBus, type IncomingMessage } from '@telemetry/bus';
import { decodeMessage, TelemetryDeadV1, TelemetryRawV1 } from '@telemetry/contracts';
import { silentLogger } from '@telemetry/observability';
import { createDeviceRegistry, type DeviceRegistry } from '@telemetry/registry';
import { createTestStore, type TestStore, uniqueName, waitFor } from '@telemetry/testing';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeviceRoutes } from '../src/device-routes/index.js';

// The device HTTP endpoints mounted in a bare express app, on the memory bus and an embedded store.

const curl = promisify(execFile);

let db: TestStore;
let bus: Bus;
let registry: DeviceRegistry;
let server: Server;
let base: string;
let tenantId: string;
const topics = { raw: uniqueName('raw'), dead: uniqueName('dead') };
const raw: IncomingMessage[] = [];
const dead: IncomingMessage[] = [];
/** A second durable group on the raw topic, held on demand: proves "2xx only after the bus acknowledged". */
let gate: Promise<void> = Promise.resolve();
let held = 0;

const rawOf = (deviceId: string) =>
  raw.filter((m) => m.key === deviceId).map((m) => decodeMessage(TelemetryRawV1, m.value));
const deadOf = (deviceId: string) =>
  dead.filter((m) => m.key === deviceId).map((m) => decodeMessage(TelemetryDeadV1, m.value));

async function listen(app: express.Express): Promise<{ server: Server; base: string }> {
  const s = await new Promise<Server>((resolve) => {
    const srv = app.listen(0, '127.0.0.1', () => resolve(srv));
  });
  const address = s.address();
  return { server: s, base: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` };
}

function appWith(routerBus: Bus, ratePerMinute = 10_000, maxPending?: number): express.Express {
  const app = express();
  app.set('trust proxy', false);
  app.use(
    createDeviceRoutes({
      bus: routerBus,
      deviceRegistry: registry,
      logger: silentLogger(),
      topics,
      ratePerMinute,
      // every request here comes from 127.0.0.1: the per-address pending bound (#20) is tested elsewhere
      config: {
        ...(maxPending !== undefined ? { devices: { maxPending } } : {}),
        security: { maxPendingPerIp: 100_000 },
      },
    }),
  );
  return app;
}

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

async function activeDevice(id: string, mac?: string): Promise<string> {
  await registry.lifecycle.preRegister({ tenantId, deviceId: id, ...(mac ? { mac } : {}) });
  return (await registry.lifecycle.rotateToken(id)).token;
}

beforeAll(async () => {
  db = await createTestStore('embedded');
  registry = createDeviceRegistry({ pool: db.store.pool, tokenGraceMs: 60_000 });
  tenantId = (
    await db.store.pool.query<{ id: string }>(
      "INSERT INTO tenants (name, external_id) VALUES ($1, 'b0c2bda5-0d6d-4c6a-86d4-76489ea2b9df') RETURNING id",
      [uniqueName('t')],
    )
  ).rows[0]!.id;
  // the seed's firmware handshakes by MAC alone: this tenant opted in to that knowingly (#20)
  await db.store.pool.query('UPDATE tenants SET allow_mac_only = true WHERE id = $1', [tenantId]);
  bus = createMemoryBus({ partitions: 2 });
  await bus.ensureTopics([{ name: topics.raw }, { name: topics.dead }]);
  const sub = (topic: string, into: IncomingMessage[], hold?: boolean) =>
    bus.subscribe({
      groupId: uniqueName('g'),
      topics: [topic],
      handler: async (batch) => {
        if (hold) {
          held++;
          await gate;
          return;
        }
        into.push(...batch.messages);
      },
    });
  await sub(topics.raw, raw);
  await sub(topics.dead, dead);
  await sub(topics.raw, [], true);
  ({ server, base } = await listen(appWith(bus)));
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await bus?.close();
  await db?.drop();
});

describe('device HTTP endpoints', () => {
  it('runs the ozone seed curl examples as written: handshake, then the treatment event', async () => {
    await registry.lifecycle.preRegister({ tenantId, deviceId: 'esp32-001', mac: 'EC:E3:34:46:2B:C0' });
    const hs = await curl('curl', [
      '-sS',
      '-X',
      'POST',
      `${base}/api/handshake/`,
      '-H',
      'Content-Type: application/json',
      '-d',
      '{"mac": "EC:E3:34:46:2B:C0", "firmware": "1.0.0"}',
    ]);
    const handshake = JSON.parse(hs.stdout) as { device_id: string; token: string; assigned: boolean };
    expect(handshake).toEqual({ device_id: 'esp32-001', token: expect.any(String), assigned: true });

    const event = `{
    "device_id": "esp32-001",
    "firmware": "1.0.0",
    "event_id": "esp32-001-0000000123",
    "event": "treatment",
    "treatment": "BASIC",
    "counter": 124,
    "ts": "2025-09-16T12:34:56Z"
  }`;
    const send = () =>
      curl('curl', [
        '-sS',
        '-X',
        'POST',
        `${base}/api/device/events/`,
        '-H',
        `Authorization: Bearer ${handshake.token}`,
        '-H',
        'Content-Type: application/json',
        '-d',
        event,
      ]);
    expect(JSON.parse((await send()).stdout)).toEqual({ ack: true, event_id: 'esp32-001-0000000123' });
    // a retransmission gets the same ack (the pipeline stores the event once)
    expect(JSON.parse((await send()).stdout)).toEqual({ ack: true, event_id: 'esp32-001-0000000123' });
    const [first] = rawOf('esp32-001');
    expect(first).toMatchObject({
      tenantId,
      deviceId: 'esp32-001',
      eventId: 'esp32-001-0000000123',
      kind: 'event',
      ts: '2025-09-16T12:34:56.000Z',
      source: 'http',
      metrics: { counter: 124, 'treatments.basic': 1 },
      attributes: { event: 'treatment', treatment: 'BASIC', firmware: '1.0.0' },
    });
  });

  it('makes an unknown MAC a pending device whose token is refused until assigned; re-handshakes rotate', async () => {
    const first = (await (await post('/api/handshake/', { mac: '02:11:22:33:44:55', firmware: '1.0.0' })).json()) as {
      device_id: string;
      token: string;
      assigned: boolean;
    };
    expect(first.assigned).toBe(false);
    const auth = { authorization: `Bearer ${first.token}` };
    const event = { device_id: first.device_id, event_id: 'p-1', event: 'treatment', treatment: 'BASIC' };
    const refused = await post('/api/device/events/', event, auth);
    expect(refused.status).toBe(403);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await refused.json()).toMatchObject({
      status: 403,
      code: 'DEVICE_NOT_ASSIGNED',
      type: expect.any(String),
      title: expect.any(String),
    });

    await registry.lifecycle.assign(first.device_id, tenantId);
    const again = (await (await post('/api/handshake/', { mac: '02:11:22:33:44:55', firmware: '1.0.1' })).json()) as {
      token: string;
      assigned: boolean;
    };
    expect(again.assigned).toBe(true);
    expect(again.token).not.toBe(first.token);
    // the replaced token still works during the grace period
    expect((await post('/api/device/events/', event, auth)).status).toBe(200);
    expect(
      (await post('/api/device/events/', { ...event, event_id: 'p-2' }, { authorization: `Bearer ${again.token}` }))
        .status,
    ).toBe(200);
  });

  it('answers bad requests with problem+json, and dead-letters a known device’s bad payloads', async () => {
    const token = await activeDevice('bad-1');
    const auth = { authorization: `Bearer ${token}` };
    const noAuth = await post('/api/device/events/', { device_id: 'bad-1', event_id: 'x', event: 'e' });
    expect(noAuth.status).toBe(401);
    expect(noAuth.headers.get('www-authenticate')).toBe('Bearer');
    expect(await noAuth.json()).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(
      await (await post('/api/device/events/', {}, { authorization: `Bearer ${'x'.repeat(43)}` })).json(),
    ).toMatchObject({
      status: 401,
      code: 'TOKEN_INVALID',
    });
    const other = await post('/api/device/events/', { device_id: 'someone-else', event_id: 'x', event: 'e' }, auth);
    expect(other.status).toBe(403);

    const notJson = await post('/api/device/events/', 'this is not json', auth);
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toMatchObject({ code: 'TELEMETRY_NOT_JSON' });
    const noId = await post('/api/device/events/', { device_id: 'bad-1', event: 'treatment' }, auth);
    expect(noId.status).toBe(422);
    const badTreatment = await post(
      '/api/device/events/',
      { device_id: 'bad-1', event_id: 'b-3', event: 'treatment', treatment: 'DELUXE' },
      auth,
    );
    expect(badTreatment.status).toBe(422);
    expect(await badTreatment.json()).toMatchObject({
      code: 'TELEMETRY_SCHEMA_INVALID',
      errors: [{ path: 'treatment' }],
    });

    const letters = deadOf('bad-1');
    expect(letters.map((l) => l.reason)).toEqual(['not_json', 'no_event_id', 'schema_invalid']);
    expect(letters[0]).toMatchObject({ source: 'http', channel: '/api/device/events/', tenantId, deviceId: 'bad-1' });
    expect(Buffer.from(letters[0]!.original, 'base64').toString()).toBe('this is not json');
    expect(letters[2]!.eventId).toBe('b-3');
    expect(rawOf('bad-1')).toHaveLength(0);

    const tooBig = await post(
      '/api/device/events/',
      { device_id: 'bad-1', event_id: 'big', event: 'e', pad: 'x'.repeat(40_000) },
      auth,
    );
    expect(tooBig.status).toBe(413);
    expect(await tooBig.json()).toMatchObject({ code: 'TELEMETRY_TOO_LARGE' });
  });

  it('answers a device event only after the bus acknowledged it', async () => {
    const token = await activeDevice('held-1');
    let release!: () => void;
    gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    held = 0;
    let answered = false;
    const response = post(
      '/api/device/events/',
      { device_id: 'held-1', event_id: 'h-1', event: 'status' },
      { authorization: `Bearer ${token}` },
    ).then((r) => {
      answered = true;
      return r;
    });
    await waitFor(() => held >= 1 && rawOf('held-1').length === 1);
    expect(answered).toBe(false);
    release();
    expect((await response).status).toBe(200);
  });

  it('takes legacy form posts from active MACs an admin opted in to legacy HTTP only', async () => {
    await activeDevice('legacy-1', 'AA:00:00:00:00:01');
    const form = (mac: string) =>
      fetch(`${base}/api/iot/`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          mode: 'PREMIUM',
          macaddr: mac,
          count3: '9',
          type3: '2.5',
          timestamp: '2024-01-15 14:30:25',
          sd_available: 'true',
        }),
      });
    // an active device, but nobody enabled legacy HTTP for it: knowing its MAC is not enough
    const refused = await form('aa:00:00:00:00:01');
    expect(refused.status).toBe(403);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await refused.json()).toMatchObject({
      code: 'FORBIDDEN',
      detail: expect.stringMatching(/an admin must enable legacy HTTP for this device/),
    });
    expect(rawOf('legacy-1')).toHaveLength(0);

    await registry.lifecycle.setEdgePolicy('legacy-1', { legacyHttp: true });
    const ok = await form('aa:00:00:00:00:01');
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ status: 'ok' });
    expect(rawOf('legacy-1')).toMatchObject([
      {
        kind: 'event',
        ts: '2024-01-15T14:30:25.000Z',
        metrics: { count_premium: 9, on_time_premium: 2.5, 'treatments.premium': 1, sd_available: 1 },
      },
    ]);

    const unknown = await form('AA:00:00:00:00:99');
    expect(unknown.status).toBe(403);
    expect(await unknown.json()).toMatchObject({ code: 'DEVICE_NOT_ASSIGNED' });
    expect((await registry.directory.findByMac('AA:00:00:00:00:99'))?.state).toBe('pending');

    const garbage = await fetch(`${base}/api/iot/`, { method: 'POST', body: 'mode=TURBO' });
    expect(garbage.status).toBe(422);
  });

  it('takes reading batches from a device for its tenant’s devices, all or nothing', async () => {
    const token = await activeDevice('uploader-1');
    await activeDevice('71bf19cb-e7e7-4334-af31-5ebba56a655d');
    await activeDevice('1cf67335-0793-42ad-80f3-3156cabc9da9');
    const auth = { authorization: `Bearer ${token}` };
    const customer = 'b0c2bda5-0d6d-4c6a-86d4-76489ea2b9df';
    const batch = [
      {
        timestamp: '2022-01-21T10:56:18.950901',
        reading: 0.63,
        device_id: '71bf19cb-e7e7-4334-af31-5ebba56a655d',
        customer_id: customer,
      },
      {
        timestamp: '2022-01-21T10:57:18.950901',
        reading: 0.9,
        device_id: '71bf19cb-e7e7-4334-af31-5ebba56a655d',
        customer_id: customer,
      },
      {
        timestamp: '2022-01-21T11:00:18.950901',
        reading: 0.96,
        device_id: '1cf67335-0793-42ad-80f3-3156cabc9da9',
        customer_id: customer,
      },
    ];
    // its own readings: always; other devices': only once an admin made it a gateway (can_relay)
    const own = await post('/api/device/readings/', [{ ...batch[0]!, device_id: 'uploader-1' }], auth);
    expect(await own.json()).toEqual({ ack: true, count: 1 });
    const notRelay = await post('/api/device/readings/', batch, auth);
    expect(notRelay.status).toBe(403);
    expect(await notRelay.json()).toMatchObject({
      code: 'FORBIDDEN',
      detail: expect.stringMatching(/only its own readings.*can_relay/),
    });
    expect(rawOf('71bf19cb-e7e7-4334-af31-5ebba56a655d')).toHaveLength(0);
    await registry.lifecycle.setEdgePolicy('uploader-1', { canRelay: true });

    const ok = await post('/api/device/readings/', batch, auth);
    expect(await ok.json()).toEqual({ ack: true, count: 3 });
    expect(rawOf('71bf19cb-e7e7-4334-af31-5ebba56a655d').map((r) => r.metrics)).toEqual([
      { reading: 0.63 },
      { reading: 0.9 },
    ]);

    const foreign = await post('/api/device/readings/', [{ ...batch[0]!, device_id: 'not-ours' }], auth);
    expect(foreign.status).toBe(403);
    const otherCustomer = await post(
      '/api/device/readings/',
      [{ ...batch[0]!, customer_id: '09a96248-2a72-4288-ac9b-02f2779161e3' }],
      auth,
    );
    expect(otherCustomer.status).toBe(403);
    expect(rawOf('71bf19cb-e7e7-4334-af31-5ebba56a655d')).toHaveLength(2);
  });

  it('takes a dispenser level from the device itself', async () => {
    const token = await activeDevice('dispenser-1');
    const res = await post(
      '/api/device/level/',
      { current_level: 7, ts: '2026-02-01T10:00:00Z' },
      { authorization: `Bearer ${token}` },
    );
    const body = (await res.json()) as { ack: boolean; event_id: string };
    expect(body.ack).toBe(true);
    expect(rawOf('dispenser-1')).toMatchObject([{ eventId: body.event_id, kind: 'telemetry', metrics: { level: 7 } }]);
    // the same reading again has the same derived id: stored once downstream
    const again = (await (
      await post(
        '/api/device/level/',
        { current_level: 7, ts: '2026-02-01T10:00:00Z' },
        { authorization: `Bearer ${token}` },
      )
    ).json()) as {
      event_id: string;
    };
    expect(again.event_id).toBe(body.event_id);
  });

  it('refuses a revoked device everywhere', async () => {
    await registry.lifecycle.preRegister({ tenantId, deviceId: 'revoked-1', mac: 'AA:00:00:00:00:02' });
    const token = (await (await post('/api/handshake/', { mac: 'AA:00:00:00:00:02', firmware: '1' })).json()) as {
      token: string;
    };
    await registry.lifecycle.revoke('revoked-1');
    expect(
      (await post('/api/device/level/', { current_level: 1 }, { authorization: `Bearer ${token.token}` })).status,
    ).toBe(401);
    const hs = await post('/api/handshake/', { mac: 'AA:00:00:00:00:02', firmware: '1' });
    expect(hs.status).toBe(403);
    expect(await hs.json()).toMatchObject({ code: 'DEVICE_REVOKED' });
  });

  it('rate-limits per device and answers 503 when the bus cannot acknowledge', async () => {
    const token = await activeDevice('busy-1');
    const closedBus = createMemoryBus({ partitions: 1 });
    await closedBus.close();
    const limited = await listen(appWith(closedBus, 2));
    try {
      const send = () =>
        fetch(`${limited.base}/api/device/level/`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}` },
          body: JSON.stringify({ current_level: 1 }),
        });
      const unavailable = await send();
      expect(unavailable.status).toBe(503);
      expect(unavailable.headers.get('retry-after')).toBe('5');
      expect(await unavailable.json()).toMatchObject({ code: 'UNAVAILABLE' });
      await send();
      const limitedRes = await send();
      expect(limitedRes.status).toBe(429);
      expect(await limitedRes.json()).toMatchObject({ code: 'RATE_LIMITED' });
    } finally {
      await new Promise((resolve) => limited.server.close(resolve));
    }
  });

  it("refuses a MAC-only re-handshake of a 'proof' device; its current token or claim code proves it", async () => {
    const pre = await registry.lifecycle.preRegister({
      tenantId,
      deviceId: 'proof-http-1',
      mac: 'AA:00:00:00:10:01',
      handshakePolicy: 'proof',
    });
    const hello = { mac: 'AA:00:00:00:10:01', firmware: '2.0.0' };
    const first = await post('/api/handshake/', hello); // first claim: the seed's request as is
    const claimed = (await first.json()) as { device_id: string; token: string; assigned: boolean };
    expect(claimed).toEqual({ device_id: 'proof-http-1', token: expect.any(String), assigned: true });

    const stranger = await post('/api/handshake/', hello);
    expect(stranger.status).toBe(403);
    expect(stranger.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await stranger.json()).toMatchObject({
      status: 403,
      code: 'FORBIDDEN',
      detail: expect.stringMatching(/prove itself.*Authorization: Bearer/),
    });
    const wrong = await post('/api/handshake/', hello, { authorization: `Bearer ${'C'.repeat(43)}` });
    expect(wrong.status).toBe(403);

    const proven = await post('/api/handshake/', hello, { authorization: `Bearer ${claimed.token}` });
    expect(proven.status).toBe(200);
    const rotated = (await proven.json()) as { device_id: string; token: string; assigned: boolean };
    expect(rotated).toEqual({ device_id: 'proof-http-1', token: expect.any(String), assigned: true });
    const byCode = await post('/api/handshake/', { ...hello, claim_code: pre.claimCode });
    expect(byCode.status).toBe(200);
  });

  it("limits MAC-only re-handshakes of an active 'mac' device to a few per hour inside the grace window", async () => {
    await registry.lifecycle.preRegister({ tenantId, deviceId: 'mac-http-1', mac: 'AA:00:00:00:10:02' });
    const hello = { mac: 'AA:00:00:00:10:02', firmware: '1.0.0' };
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 6; i++) {
      last = await post('/api/handshake/', hello);
      statuses.push(last.status);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    expect(await last!.json()).toMatchObject({ code: 'RATE_LIMITED', detail: expect.stringMatching(/this MAC/) });
  });

  it('records no pending device beyond DEVICE_MAX_PENDING: 429 for handshakes and legacy posts of unknown MACs', async () => {
    const { rows } = await db.store.pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM devices WHERE state = 'pending' AND tenant_id IS NULL",
    );
    const full = await listen(appWith(bus, 10_000, rows[0]!.n));
    try {
      const hs = await fetch(`${full.base}/api/handshake/`, {
        method: 'POST',
        body: JSON.stringify({ mac: 'AA:00:00:00:10:03', firmware: '1' }),
      });
      expect(hs.status).toBe(429);
      expect(await hs.json()).toMatchObject({
        code: 'RATE_LIMITED',
        detail: expect.stringMatching(/too many unknown devices are waiting for an admin/),
      });
      const legacy = await fetch(`${full.base}/api/iot/`, {
        method: 'POST',
        body: new URLSearchParams({
          mode: 'BASIC',
          macaddr: 'AA:00:00:00:10:04',
          count1: '1',
          type1: '1',
          timestamp: '2024-01-15 14:30:25',
        }),
      });
      expect(legacy.status).toBe(429);
      expect(await registry.directory.findByMac('AA:00:00:00:10:03')).toBeUndefined();
      expect(await registry.directory.findByMac('AA:00:00:00:10:04')).toBeUndefined();
      // a known device is not affected
      expect(
        (
          await fetch(`${full.base}/api/handshake/`, {
            method: 'POST',
            body: JSON.stringify({ mac: '02:11:22:33:44:55', firmware: '1' }),
          })
        ).status,
      ).toBe(200);
    } finally {
      await new Promise((resolve) => full.server.close(resolve));
    }
  });
});
