import { createMemoryBus } from '@telemetry/bus';
import { loadConfig } from '@telemetry/config';
import { createRegistry, silentLogger } from '@telemetry/observability';
import { createRealtime, type Realtime } from '@telemetry/realtime';
import { waitFor } from '@telemetry/testing';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startApi, TEST_SECRET, type TenantFixture } from '../../../api/test/helpers.js';
import { record } from './figures.js';

// #20 "Done when": a socket of a user who logs out elsewhere receives nothing more within 1 s. The
// API and the realtime gateway share one bus and one store, as in the all-in-one stack; every
// revocation goes through the API's HTTP routes, its outbox and auth.sessions.v1.
describe('security: revocation reaches open Socket.IO sessions', () => {
  let h: Harness;
  let rt: Realtime;
  let url: string;
  let t: TenantFixture;
  const sockets: Socket[] = [];
  const bus = createMemoryBus({ partitions: 2 });

  beforeAll(async () => {
    h = await startApi('embedded', { bus });
    rt = createRealtime({
      bus,
      store: h.test.store,
      logger: silentLogger(),
      registry: createRegistry(),
      config: loadConfig({ JWT_SECRET: TEST_SECRET, REALTIME_PORT: '0', HTTP_HOST: '127.0.0.1', LOG_LEVEL: 'silent' }),
    });
    await rt.start();
    url = `http://127.0.0.1:${rt.port()}`;
    t = await h.tenant('Revoke');
  });
  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await rt?.close();
    await h?.close();
  });

  /** A signed-in socket subscribed to the tenant, recording what it receives after `since()`. */
  const open = async (token: string, scope: 'tenant' | 'asset' = 'tenant', id = t.id) => {
    const socket = io(url, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true });
    sockets.push(socket);
    const got: { at: number; event: string }[] = [];
    socket.onAny((event) => got.push({ at: Date.now(), event }));
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    const ack = await socket.timeout(10_000).emitWithAck('subscribe', { scope, id });
    expect(ack).toMatchObject({ ok: true });
    return { socket, got };
  };
  const login = async (username: string) =>
    (await h.req('post', '/api/auth/login', { body: { username, password: 'correct-horse-1' } })).body as {
      accessToken: string;
    };
  /** A task in the tenant, made through the API: what an open tenant stream would carry (tasks.v1). */
  const raiseTask = async (title: string) => {
    const r = await h.req('post', '/api/tasks', { token: t.users.admin.token, body: { title } });
    expect(r.status, r.text).toBe(201);
  };
  const closedAfter = (socket: Socket, from: number) =>
    new Promise<number>((resolve) => {
      if (socket.disconnected) return resolve(Date.now() - from);
      socket.once('disconnect', () => resolve(Date.now() - from));
    });

  it('logout elsewhere: the other socket of that session closes within 1 s and receives nothing more', async () => {
    const s = await login(t.users.operator.username);
    const victim = await open(s.accessToken);
    const control = await open(t.users.admin.token);
    const t0 = Date.now();
    const out = await h.req('post', '/api/auth/logout', { token: s.accessToken, body: {} });
    expect(out.status).toBe(200);
    const took = await closedAfter(victim.socket, t0);
    record('socketio_revocation', { tried: 1, refused: took < 1_000 ? 1 : 0, leaked: took < 1_000 ? 0 : 1 });
    expect(took).toBeLessThan(1_000);
    const after = victim.got.filter((g) => g.at > t0 && g.event !== 'server:disconnect');
    await raiseTask('after logout');
    await waitFor(() => control.got.some((g) => g.event === 'task'), { message: 'the control socket got it' });
    expect(after).toEqual([]);
    expect(victim.got.filter((g) => g.at > t0 && g.event !== 'server:disconnect')).toEqual([]);
  });

  it('unassignment, password change, role change and deletion narrow or end the sockets within 1 s', async () => {
    const results: Array<{ name: string; ms: number }> = [];
    const pw = await login(t.users.viewer.username);
    const other = await login(t.users.viewer.username);
    const { assetId, assignmentId } = await assignViewer();
    const viewer = await open(other.accessToken, 'asset', assetId);
    const lost: unknown[] = [];
    viewer.socket.on('subscription:revoked', (x) => lost.push(x));

    // unassignment: the asset stream ends, the socket stays
    let t0 = Date.now();
    const un = await h.req('delete', `/api/users/${t.users.viewer.id}/assignments/${assignmentId}`, {
      token: t.users.admin.token,
    });
    expect(un.status, un.text).toBe(204);
    await waitFor(() => lost.length > 0, { timeoutMs: 1_000, message: 'unassignment narrowed within 1 s' });
    results.push({ name: 'unassignment', ms: Date.now() - t0 });
    expect(viewer.socket.connected).toBe(true);

    // password change in one session ends the viewer's other sessions and their sockets
    t0 = Date.now();
    const changed = await h.req('post', '/api/auth/password', {
      token: pw.accessToken,
      body: { currentPassword: 'correct-horse-1', newPassword: 'an-entirely-new-secret-7' },
    });
    expect(changed.status, changed.text).toBe(204);
    results.push({ name: 'password change', ms: await closedAfter(viewer.socket, t0) });

    // role change: a manager demoted to viewer (no assignment) loses the tenant stream, stays connected
    const mgr = await open(t.users.manager.token);
    const revoked: unknown[] = [];
    mgr.socket.on('subscription:revoked', (x: unknown) => revoked.push(x));
    t0 = Date.now();
    const demoted = await h.req('patch', `/api/users/${t.users.manager.id}`, {
      token: t.users.admin.token,
      body: { role: 'viewer' },
    });
    expect(demoted.status, demoted.text).toBe(200);
    await waitFor(() => revoked.length > 0, { timeoutMs: 1_000, message: 'demotion narrowed within 1 s' });
    results.push({ name: 'role change', ms: Date.now() - t0 });
    await raiseTask('after demotion');
    expect(mgr.got.filter((g) => g.at > t0 && g.event === 'task')).toEqual([]);

    // deletion: every socket of the user ends
    t0 = Date.now();
    const del = await h.req('delete', `/api/users/${t.users.manager.id}`, { token: t.users.admin.token });
    expect(del.status, del.text).toBe(204);
    results.push({ name: 'deletion', ms: await closedAfter(mgr.socket, t0) });

    for (const r of results) expect(r.ms, r.name).toBeLessThan(1_000);
    record('socketio_revocation', { tried: results.length, refused: results.length, leaked: 0 });
  });

  /** Assigns the viewer to a new floor, so it has an asset stream to lose. */
  async function assignViewer(): Promise<{ assetId: string; assignmentId: string }> {
    const asset = await h.req('post', '/api/assets', {
      token: t.users.admin.token,
      body: { name: 'Floor', type: 'floor' },
    });
    expect(asset.status, asset.text).toBe(201);
    const a = await h.req('post', `/api/users/${t.users.viewer.id}/assignments`, {
      token: t.users.admin.token,
      body: { assetId: asset.body.id },
    });
    expect(a.status, a.text).toBe(201);
    return { assetId: asset.body.id as string, assignmentId: a.body.id as string };
  }
});
