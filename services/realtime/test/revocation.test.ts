import { randomUUID } from 'node:crypto';
import type { Role } from '@telemetry/auth';
import { type Bus, createMemoryBus } from '@telemetry/bus';
import { encodeMessage, SessionRevokedV1, Topics } from '@telemetry/contracts';
import { type TestStore, uniqueName, waitFor } from '@telemetry/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticate, createRevocationCheck } from '../src/auth.js';
import { createDirectory } from '../src/directory.js';
import {
  alertMessage,
  type Client,
  connect,
  type Instance,
  JWT_SECRET,
  publishAlerts,
  startInstance,
  tokenFor,
  tokens,
  type World,
} from './fixtures.js';
import { seededStore } from './setup.js';

let db: TestStore;
let w: World;

beforeAll(async () => {
  ({ db, w } = await seededStore());
});

afterAll(async () => {
  await db?.drop();
});

describe('finding 5: the realtime handshake refuses revoked access tokens', () => {
  it('refuses a logged-out token (jti deny-list) and a token of an ended session (refresh family revoked)', async () => {
    const pool = db.store.pool;
    const directory = createDirectory(pool, { ttlMs: 60_000 });
    const isRevoked = createRevocationCheck(pool);
    const principal = { userId: w.users.adminA, tenantId: w.tenantA, role: 'admin' as const, setupRequired: false };
    const check = (token: string) =>
      authenticate(directory, JWT_SECRET, token, Date.now, isRevoked).then(
        () => 'ok',
        (err: { code?: string }) => err.code,
      );

    // a session as the API opens it: a refresh family, the access token carries it as sid
    const family = randomUUID();
    await pool.query(
      `INSERT INTO refresh_tokens (id, family_id, user_id, token_hash, expires_at)
       VALUES ($1, $2, $3, $4, now() + interval '1 day')`,
      [randomUUID(), family, w.users.adminA, `hash-${family}`],
    );
    const inSession = tokens.signAccess(principal, { sessionId: family }).token;
    const loggedOut = tokens.signAccess(principal, { sessionId: family });
    expect(await check(inSession)).toBe('ok');
    expect(await check(loggedOut.token)).toBe('ok');

    // logout of one token: its jti is denied, the rest of the session is ended with its family
    await pool.query(`INSERT INTO revoked_access_tokens (jti, expires_at) VALUES ($1, now() + interval '1 hour')`, [
      loggedOut.jti,
    ]);
    expect(await check(loggedOut.token)).toBe('TOKEN_INVALID');
    expect(await check(inSession)).toBe('ok');
    await pool.query('UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1', [family]);
    expect(await check(inSession)).toBe('TOKEN_INVALID');

    // other sessions and tokens without a session are untouched; a sid that is no uuid is no session of ours
    expect(await check(tokens.signAccess(principal).token)).toBe('ok');
    expect(await check(tokens.signAccess(principal, { sessionId: 'not-a-uuid' }).token)).toBe('TOKEN_INVALID');
  });
});

describe('#20: revocation reaches open sockets at once, on every instance (two instances over real Redis)', () => {
  const REDIS_URL = process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379';
  let bus: Bus;
  const redis: Redis[] = [];
  const instances: Instance[] = [];
  const clients: Client[] = [];

  beforeAll(async () => {
    bus = createMemoryBus({ partitions: 4 });
    const key = uniqueName('rt-revoke');
    const groupId = uniqueName('realtime');
    for (let i = 0; i < 2; i++) {
      const client = new Redis(REDIS_URL, { maxRetriesPerRequest: 0, lazyConnect: true });
      await client.connect();
      redis.push(client);
      instances.push(await startInstance({ bus, store: db.store, redis: client, options: { redisKey: key, groupId } }));
    }
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    for (const i of instances) await i.realtime.close();
    for (const r of redis) r.disconnect();
    await bus?.close();
  });

  const session = async (userId: string, tenantId: string | null, role: Role) => {
    const family = randomUUID();
    await db.store.pool.query(
      `INSERT INTO refresh_tokens (id, family_id, user_id, token_hash, expires_at)
       VALUES ($1, $2, $3, $4, now() + interval '1 day')`,
      [randomUUID(), family, userId, `hash-${family}`],
    );
    return {
      family,
      token: tokens.signAccess({ userId, tenantId, role, setupRequired: false }, { sessionId: family }).token,
    };
  };
  const revoked = (userId: string, reason: SessionRevokedV1['reason']) =>
    bus.publish(Topics.sessions, [
      {
        key: userId,
        value: encodeMessage(SessionRevokedV1, {
          v: 1,
          userId,
          tenantId: w.tenantA,
          reason,
          at: new Date().toISOString(),
        }),
      },
    ]);
  const closedWithin = (c: Client, ms: number) =>
    new Promise<number>((resolve, reject) => {
      const t0 = Date.now();
      if (c.socket.disconnected) return resolve(0);
      const timer = setTimeout(() => reject(new Error(`still connected after ${ms} ms`)), ms);
      c.socket.once('disconnect', () => {
        clearTimeout(timer);
        resolve(Date.now() - t0);
      });
    });

  it('logout elsewhere: the session’s sockets on both instances close within 1 s and receive nothing more', async () => {
    const [a, b] = instances as [Instance, Instance];
    const s = await session(w.users.adminA, w.tenantA, 'admin');
    const other = await session(w.users.adminA, w.tenantA, 'admin');
    const onA = await connect(a.url, s.token);
    const onB = await connect(b.url, s.token);
    const keep = await connect(b.url, other.token); // another session of the same user stays
    clients.push(onA, onB, keep);
    for (const c of [onA, onB, keep]) expect(await c.subscribe('tenant', w.tenantA)).toMatchObject({ ok: true });

    // the API's logout: the family revoked in the database, then auth.sessions.v1 through the outbox
    await db.store.pool.query('UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1', [s.family]);
    const closing = Promise.all([closedWithin(onA, 1_000), closedWithin(onB, 1_000)]);
    await revoked(w.users.adminA, 'logout');
    const took = await closing;
    expect(Math.max(...took)).toBeLessThan(1_000);
    expect(onA.disconnects).toEqual(['session_revoked']);
    expect(onB.disconnects).toEqual(['session_revoked']);

    const before = onA.alerts.length + onB.alerts.length;
    await publishAlerts(bus, [alertMessage({ tenantId: w.tenantA, deviceId: w.deviceA, message: 'after logout' })]);
    await waitFor(() => keep.alerts.some((x) => x.alert.message === 'after logout'), { message: 'kept session' });
    expect(onA.alerts.length + onB.alerts.length).toBe(before);
    expect(keep.socket.connected).toBe(true);
  });

  it('password change or deletion closes every socket of the user; a demotion narrows the subscriptions', async () => {
    const [a, b] = instances as [Instance, Instance];
    const op = await session(w.users.operatorA, w.tenantA, 'operator');
    const opA = await connect(a.url, op.token);
    const opB = await connect(b.url, op.token);
    clients.push(opA, opB);
    const revokedSubs: Array<{ scope: string; id: string }> = [];
    for (const c of [opA, opB]) {
      expect(await c.subscribe('tenant', w.tenantA)).toMatchObject({ ok: true });
      c.socket.on('subscription:revoked', (x) => revokedSubs.push(x));
    }
    // demoted to viewer (no assignment): the tenant-wide stream ends on both instances, sockets stay
    await db.store.pool.query(`UPDATE users SET role = 'viewer' WHERE id = $1`, [w.users.operatorA]);
    await revoked(w.users.operatorA, 'role_changed');
    await waitFor(() => revokedSubs.length === 2, { timeoutMs: 1_000, message: 'narrowed within 1 s' });
    expect(revokedSubs).toEqual([
      { scope: 'tenant', id: w.tenantA },
      { scope: 'tenant', id: w.tenantA },
    ]);
    const control = await connect(a.url, tokenFor(w.users.adminA, w.tenantA, 'admin'));
    clients.push(control);
    await control.subscribe('tenant', w.tenantA);
    await publishAlerts(bus, [alertMessage({ tenantId: w.tenantA, deviceId: w.deviceA2, message: 'after demotion' })]);
    await waitFor(() => control.alerts.some((x) => x.alert.message === 'after demotion'), { message: 'control' });
    expect([...opA.alerts, ...opB.alerts].some((x) => x.alert.message === 'after demotion')).toBe(false);
    expect(opA.socket.connected && opB.socket.connected).toBe(true);

    // deletion (the same for a password change: every family of the user revoked)
    await db.store.pool.query('UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = $1', [w.users.operatorA]);
    const closing = Promise.all([closedWithin(opA, 1_000), closedWithin(opB, 1_000)]);
    await revoked(w.users.operatorA, 'password_changed');
    expect(Math.max(...(await closing))).toBeLessThan(1_000);
  });

  it('an unassigned viewer loses the asset subscription at once', async () => {
    const [, b] = instances as [Instance, Instance];
    const v = await connect(b.url, tokenFor(w.users.viewerPantry, w.tenantA, 'viewer'));
    clients.push(v);
    expect(await v.subscribe('asset', w.pantry)).toMatchObject({ ok: true });
    const gone: string[] = [];
    v.socket.on('subscription:revoked', (x) => gone.push(x.id));
    await db.store.pool.query('DELETE FROM user_assignments WHERE user_id = $1', [w.users.viewerPantry]);
    await revoked(w.users.viewerPantry, 'unassigned');
    await waitFor(() => gone.length === 1, { timeoutMs: 1_000, message: 'unassigned within 1 s' });
    expect(gone).toEqual([w.pantry]);
  });
});
