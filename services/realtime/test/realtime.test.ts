import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTokenService } from '@telemetry/auth';
import { type Bus, createMemoryBus } from '@telemetry/bus';
import { DevicePresenceV1, encodeMessage, TaskV1, Topics } from '@telemetry/contracts';
import { type TestStore, waitFor } from '@telemetry/testing';
import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  alertMessage,
  type Client,
  connect,
  type Instance,
  JWT_SECRET,
  metricValue,
  publishAlerts,
  publishTelemetry,
  reading,
  startInstance,
  tokenFor,
  type World,
} from './fixtures.js';
import { startGateway, stopGateway } from './setup.js';

let db: TestStore;
let bus: Bus;
let w: World;
let gw: Instance;
const clients: Client[] = [];

const track = async (p: Promise<Client>) => {
  const c = await p;
  clients.push(c);
  return c;
};

beforeAll(async () => {
  ({ db, w, bus, gw } = await startGateway(() => createMemoryBus({ partitions: 4 })));
});

afterAll(async () => {
  for (const c of clients) c.close();
  await stopGateway({ gw, bus, db });
});

describe('realtime gateway (memory bus, embedded store)', () => {
  it('pushes a reading to every authorized subscriber of its device, asset, site and tenant, once each', async () => {
    const admin = await track(connect(gw.url, tokenFor(w.users.adminA, w.tenantA, 'admin')));
    const viewer = await track(connect(gw.url, tokenFor(w.users.viewerPantry, w.tenantA, 'viewer')));
    const platform = await track(connect(gw.url, tokenFor(w.users.platform, null, 'admin')));

    // The admin is in three rooms the reading goes to, and must still get it once.
    expect(await admin.subscribe('device', w.deviceA)).toMatchObject({ ok: true, room: `device:${w.deviceA}` });
    expect(await admin.subscribe('site', w.siteA)).toMatchObject({ ok: true });
    expect(await admin.subscribe('tenant', w.tenantA)).toMatchObject({ ok: true });
    // The viewer is assigned the pantry: the dispenser below it (and its device) is visible.
    expect(await viewer.subscribe('asset', w.pantry)).toMatchObject({ ok: true });
    expect(await viewer.subscribe('device', w.deviceA)).toMatchObject({ ok: true });
    expect(await platform.subscribe('tenant', w.tenantA)).toMatchObject({ ok: true });

    const before = Date.now();
    await publishTelemetry(bus, [
      { key: w.deviceA, value: reading({ tenantId: w.tenantA, deviceId: w.deviceA, assetId: w.dispenser }, 1) },
    ]);
    for (const c of [admin, viewer, platform])
      await waitFor(() => c.telemetry.length === 1, { message: 'reading pushed' });

    const got = admin.telemetry[0];
    expect(got).toMatchObject({ deviceId: w.deviceA, metrics: { n: 1 } });
    expect(got?.trace.pushed).toBeGreaterThanOrEqual(before);
    // A device on the other floor of the same site reaches the site and tenant rooms, not the pantry viewer.
    await publishTelemetry(bus, [
      { key: w.deviceA2, value: reading({ tenantId: w.tenantA, deviceId: w.deviceA2 }, 2) },
    ]);
    await waitFor(() => admin.telemetry.length === 2 && platform.telemetry.length === 2);
    // A round trip after it: had the viewer been sent the reading, it would be here by now.
    await viewer.subscribe('asset', w.pantry);
    expect(viewer.telemetry.map((t) => t.deviceId)).toEqual([w.deviceA]);
    expect(await metricValue(gw.registry, 'realtime_emits_total', { event: 'telemetry' })).toBeGreaterThanOrEqual(5);
  });

  it("refuses subscriptions outside the user's tenant, assignments and role", async () => {
    const managerB = await track(connect(gw.url, tokenFor(w.users.managerB, w.tenantB, 'manager')));
    const viewerNothing = await track(connect(gw.url, tokenFor(w.users.viewerNothing, w.tenantA, 'viewer')));
    const viewer = await track(connect(gw.url, tokenFor(w.users.viewerPantry, w.tenantA, 'viewer')));
    const operator = await track(connect(gw.url, tokenFor(w.users.operatorA, w.tenantA, 'operator')));

    const forbidden = { ok: false, error: { code: 'FORBIDDEN' } };
    expect(await managerB.subscribe('device', w.deviceA)).toMatchObject(forbidden);
    expect(await managerB.subscribe('tenant', w.tenantA)).toMatchObject(forbidden);
    expect(await managerB.subscribe('site', w.siteA)).toMatchObject(forbidden);
    // An unknown id looks exactly like a foreign one (no probing for ids).
    expect(await managerB.subscribe('device', 'no-such-device')).toMatchObject(forbidden);
    expect(await managerB.subscribe('asset', 'not-a-uuid')).toMatchObject(forbidden);
    expect(await managerB.subscribe('device', w.deviceB)).toMatchObject({ ok: true });

    expect(await viewerNothing.subscribe('device', w.deviceA)).toMatchObject(forbidden);
    // Viewers: only their assignments' subtrees, never the whole tenant or site, nor a sibling branch.
    expect(await viewer.subscribe('tenant', w.tenantA)).toMatchObject(forbidden);
    expect(await viewer.subscribe('site', w.siteA)).toMatchObject(forbidden);
    expect(await viewer.subscribe('asset', w.floor)).toMatchObject(forbidden);
    expect(await viewer.subscribe('device', w.deviceA2)).toMatchObject(forbidden);
    expect(await viewer.subscribe('asset', w.dispenser)).toMatchObject({ ok: true });
    // Other roles see their whole tenant.
    expect(await operator.subscribe('site', w.siteA)).toMatchObject({ ok: true });
    expect(await operator.subscribe('bogus' as 'site', w.siteA)).toMatchObject({
      ok: false,
      error: { code: 'VALIDATION_FAILED' },
    });

    // The refused manager of B never receives A's readings.
    await publishTelemetry(bus, [{ key: w.deviceA, value: reading({ tenantId: w.tenantA, deviceId: w.deviceA }, 3) }]);
    await waitFor(() => operator.telemetry.length === 1);
    await managerB.subscribe('device', w.deviceB);
    expect(managerB.telemetry).toEqual([]);
  });

  it('refuses a missing, forged or expired token at the handshake', async () => {
    const refusal = (p: Promise<unknown>) =>
      p.then(
        () => 'connected',
        (err: Error & { data?: { code?: string } }) => err.data?.code,
      );
    expect(await refusal(connect(gw.url, undefined))).toBe('UNAUTHENTICATED');
    const past = Date.now() - 3_600_000;
    const expired = createTokenService({ secret: JWT_SECRET, accessTtlMs: 60_000, now: () => past }).signAccess({
      userId: w.users.adminA,
      tenantId: w.tenantA,
      role: 'admin',
      setupRequired: false,
    }).token;
    expect(await refusal(connect(gw.url, expired))).toBe('TOKEN_INVALID');
    const forged = createTokenService({ secret: 'x'.repeat(40), accessTtlMs: 60_000 }).signAccess({
      userId: w.users.adminA,
      tenantId: w.tenantA,
      role: 'admin',
      setupRequired: false,
    }).token;
    expect(await refusal(connect(gw.url, forged))).toBe('TOKEN_INVALID');
    const unsigned = jwt.sign({ sub: w.users.platform, tid: null, role: 'admin', typ: 'access', jti: 'x' }, '', {
      algorithm: 'none',
      issuer: 'telemetry',
      audience: 'telemetry',
      expiresIn: 60,
    });
    expect(await refusal(connect(gw.url, unsigned))).toBe('TOKEN_INVALID');
    // A valid token of a user the database no longer has.
    expect(await refusal(connect(gw.url, tokenFor(randomUUID(), w.tenantA, 'admin')))).toBe('UNAUTHENTICATED');
    expect(await metricValue(gw.registry, 'realtime_handshakes_refused_total')).toBeGreaterThanOrEqual(5);
  });

  it('disconnects with a reason when the token expires, unless the client refreshed it', async () => {
    const short = createTokenService({ secret: JWT_SECRET, accessTtlMs: 2_000 });
    const principal = { userId: w.users.adminA, tenantId: w.tenantA, role: 'admin' as const, setupRequired: false };
    const staying = await track(connect(gw.url, short.signAccess(principal).token));
    const leaving = await track(connect(gw.url, short.signAccess(principal).token));
    const ack = await staying.socket
      .timeout(5_000)
      .emitWithAck('auth:refresh', { token: tokenFor(w.users.adminA, w.tenantA, 'admin') });
    expect(ack).toMatchObject({ ok: true });
    // Another user's token is no refresh.
    const other = await staying.socket
      .timeout(5_000)
      .emitWithAck('auth:refresh', { token: tokenFor(w.users.operatorA, w.tenantA, 'operator') });
    expect(other).toMatchObject({ ok: false, error: { code: 'TOKEN_INVALID' } });

    await waitFor(() => leaving.disconnects.includes('token_expired') && !leaving.socket.connected, {
      message: 'expired socket disconnected',
    });
    // The old expiry has passed for both; the refreshed one still answers.
    expect(await staying.subscribe('device', w.deviceA)).toMatchObject({ ok: true });
    expect(staying.socket.connected).toBe(true);
    expect(staying.disconnects).toEqual([]);
  });

  it('coalesces telemetry per device (latest wins) but never alerts', async () => {
    const c = await track(connect(gw.url, tokenFor(w.users.adminA, w.tenantA, 'admin')));
    await c.subscribe('device', w.deviceA);
    const n = 20;
    await publishTelemetry(
      bus,
      Array.from({ length: n }, (_, i) => ({
        key: w.deviceA,
        value: reading({ tenantId: w.tenantA, deviceId: w.deviceA }, 100 + i),
      })),
    );
    await waitFor(() => c.telemetry.at(-1)?.metrics.n === 100 + n - 1, { message: 'latest reading arrives' });
    expect(c.telemetry.length).toBeLessThan(n);
    expect(await metricValue(gw.registry, 'realtime_coalesced_total')).toBeGreaterThan(0);

    const alerts = Array.from({ length: n }, (_, i) =>
      alertMessage({ tenantId: w.tenantA, deviceId: w.deviceA, message: `a${i}` }),
    );
    await publishAlerts(bus, alerts);
    await waitFor(() => c.alerts.length === n, { message: 'every alert arrives' });
    expect(c.alerts.map((a) => a.alert.message)).toEqual(alerts.map((a) => a.message));
    // Cursors only grow, so a client can resume from the highest.
    const cursors = c.alerts.map((a) => a.cursor);
    expect([...cursors].sort((a, b) => a - b)).toEqual(cursors);
  });

  it('replays from the database the alerts raised while a client was away', async () => {
    const token = tokenFor(w.users.viewerPantry, w.tenantA, 'viewer');
    const first = await track(connect(gw.url, token));
    await first.subscribe('asset', w.pantry);
    const raise = async (message: string, deviceId: string) => {
      const alertId = randomUUID();
      await db.store.pool.query(
        `INSERT INTO alerts (id, tenant_id, device_id, kind, severity, message, opened_at) VALUES ($1, $2, $3, 'manual', 'critical', $4, now())`,
        [alertId, w.tenantA, deviceId, message],
      );
      await publishAlerts(bus, [alertMessage({ alertId, tenantId: w.tenantA, deviceId, message })]);
      return alertId;
    };
    await raise('before', w.deviceA);
    await waitFor(() => first.alerts.length === 1);
    const cursor = Math.max(...first.alerts.map((a) => a.cursor));
    first.close();
    await waitFor(() => !first.socket.connected);

    const missed = [await raise('while away 1', w.deviceA), await raise('while away 2', w.deviceA)];
    const elsewhere = await raise('other floor', w.deviceA2); // not under the pantry: never replayed to it

    const second = await track(connect(gw.url, token));
    const ack = await second.subscribe('asset', w.pantry, cursor);
    expect(ack).toMatchObject({ ok: true, resync: false });
    const replayed = second.alerts.filter((a) => a.replay).map((a) => a.alert.alertId);
    expect(replayed).toEqual(expect.arrayContaining(missed));
    expect(replayed).not.toContain(elsewhere);
    const again = second.alerts.find((a) => a.alert.alertId === missed[0]);
    expect(again).toMatchObject({ replay: true, alert: { state: 'open', change: 'opened', severity: 'critical' } });
    // A cursor older than the resume window asks for a reload instead.
    expect(await second.subscribe('asset', w.pantry, 1)).toMatchObject({ ok: true, resync: true, replayed: 0 });
  });

  it('cuts off a client that does not read, without holding up the others', async () => {
    const slowGw = await startInstance({
      bus,
      store: db.store,
      env: { REALTIME_MAX_BUFFERED: '30', REALTIME_DRAIN_TIMEOUT: '1h' },
      options: { softBuffer: 5 },
    });
    try {
      const fast = await track(connect(slowGw.url, tokenFor(w.users.adminA, w.tenantA, 'admin')));
      await fast.subscribe('device', w.deviceA);
      const slow = await pollingClientThatStopsReading(
        slowGw.url,
        tokenFor(w.users.adminA, w.tenantA, 'admin'),
        w.deviceA,
      );

      // Telemetry first: past the soft limit it is held back, latest wins, the buffer stays small.
      for (let i = 0; i < 3; i++) {
        await publishAlerts(
          bus,
          Array.from({ length: 4 }, (_, k) =>
            alertMessage({ tenantId: w.tenantA, deviceId: w.deviceA, message: `warm${i}.${k}` }),
          ),
        );
      }
      await waitFor(() => fast.alerts.length === 12);
      for (let i = 0; i < 10; i++) {
        await publishTelemetry(bus, [
          { key: w.deviceA, value: reading({ tenantId: w.tenantA, deviceId: w.deviceA }, 500 + i) },
        ]);
      }
      await waitFor(() => fast.telemetry.at(-1)?.metrics.n === 509);
      expect(await metricValue(slowGw.registry, 'realtime_slow_client_disconnects_total')).toBe(0);

      // Alerts are never dropped: past the hard limit the slow client is disconnected instead.
      const burst = Array.from({ length: 40 }, (_, k) =>
        alertMessage({ tenantId: w.tenantA, deviceId: w.deviceA, message: `burst${k}` }),
      );
      await publishAlerts(bus, burst);
      await waitFor(async () => (await metricValue(slowGw.registry, 'realtime_slow_client_disconnects_total')) === 1, {
        message: 'slow client cut off',
      });
      await waitFor(() => fast.alerts.length === 52, { message: 'the fast client got everything' });
      expect(fast.socket.connected).toBe(true);
      expect(await slow.poll()).toMatchObject({ status: 400 }); // its session is gone
    } finally {
      await slowGw.realtime.close();
    }
  });
  it('attaches to an existing http server (the all-in-one stack) and leaves it open on close', async () => {
    const http = createServer((_req, res) => res.end('api'));
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    const attached = await startInstance({ bus, store: db.store, httpServer: http });
    try {
      expect(attached.realtime.port()).toBeUndefined();
      const c = await track(connect(url, tokenFor(w.users.adminA, w.tenantA, 'admin')));
      await c.subscribe('device', w.deviceA);
      const presence: unknown[] = [];
      const tasks: unknown[] = [];
      c.socket.on('presence', (m) => presence.push(m));
      c.socket.on('task', (m) => tasks.push(m));
      const at = new Date().toISOString();
      // A message no schema accepts is counted and skipped; the ones behind it still flow.
      await bus.publish(Topics.alerts, [{ key: w.deviceA, value: '{"not":"an alert"}' }]);
      await bus.publish(Topics.devicePresence, [
        {
          key: w.deviceA,
          value: encodeMessage(DevicePresenceV1, {
            v: 1,
            tenantId: w.tenantA,
            deviceId: w.deviceA,
            status: 'offline',
            reason: 'will',
            gatewayId: 'gw-1',
            at,
          }),
        },
      ]);
      await bus.publish(Topics.tasks, [
        {
          key: w.deviceA,
          value: encodeMessage(TaskV1, {
            v: 1,
            change: 'created',
            taskId: randomUUID(),
            tenantId: w.tenantA,
            ruleId: null,
            assetId: w.dispenser,
            deviceId: w.deviceA,
            title: 'Refill',
            status: 'not_started',
            dueAt: null,
            assignees: [],
            changedAt: at,
            changedBy: null,
          }),
        },
      ]);
      await waitFor(() => presence.length === 1 && tasks.length === 1, { message: 'presence and task pushed' });
      expect(presence[0]).toMatchObject({ deviceId: w.deviceA, status: 'offline' });
      expect(tasks[0]).toMatchObject({ replay: false, task: { title: 'Refill' } });
      expect(await metricValue(attached.registry, 'realtime_consumed_total', { outcome: 'invalid' })).toBe(1);

      // Unsubscribed: nothing more for that device.
      expect(await c.socket.timeout(5_000).emitWithAck('unsubscribe', { scope: 'device', id: w.deviceA })).toEqual({
        ok: true,
      });
      await publishTelemetry(bus, [
        { key: w.deviceA, value: reading({ tenantId: w.tenantA, deviceId: w.deviceA }, 900) },
      ]);
      await waitFor(
        async () =>
          (await metricValue(attached.registry, 'realtime_consumed_total', { topic: Topics.telemetryAccepted })) === 1,
      );
      await c.subscribe('device', w.deviceA2); // a round trip after the reading was handled
      expect(c.telemetry).toEqual([]);
    } finally {
      await attached.realtime.close();
    }
    // The API's server still answers.
    expect(await (await fetch(url)).text()).toBe('api');
    await new Promise<void>((r) => http.close(() => r()));
  });
});

/**
 * A raw Engine.IO long-polling client: it connects, subscribes, reads the ack, then never polls
 * again, so everything the server sends it stays in the server's buffer for that socket.
 */
async function pollingClientThatStopsReading(base: string, token: string, deviceId: string) {
  const url = (sid?: string) => `${base}/socket.io/?EIO=4&transport=polling${sid ? `&sid=${sid}` : ''}`;
  const open = await (await fetch(url())).text();
  const { sid } = JSON.parse(open.slice(1)) as { sid: string };
  const post = (body: string) => fetch(url(sid), { method: 'POST', body, headers: { 'content-type': 'text/plain' } });
  const poll = async () => {
    const res = await fetch(url(sid));
    return { status: res.status, body: await res.text() };
  };
  await post(`40${JSON.stringify({ token })}`);
  expect((await poll()).body).toMatch(/^40/);
  await post(`420${JSON.stringify(['subscribe', { scope: 'device', id: deviceId }])}`);
  expect((await poll()).body).toMatch(/^430\[\{"ok":true/);
  return { poll };
}
