import { AppError } from '@telemetry/contracts';
import { createTestStore, type TestStore } from '@telemetry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeviceRegistry, type DeviceRegistry, hashToken } from '../src/index.js';

let db: TestStore;
let registry: DeviceRegistry;
let tenantA: string;
let tenantB: string;
let assetA: string;

beforeAll(async () => {
  db = await createTestStore('embedded');
  registry = createDeviceRegistry({ pool: db.store.pool, tokenGraceMs: 60_000 });
  const q = db.store.pool;
  tenantA = (await q.query<{ id: string }>("INSERT INTO tenants (name) VALUES ('a') RETURNING id")).rows[0]!.id;
  tenantB = (await q.query<{ id: string }>("INSERT INTO tenants (name) VALUES ('b') RETURNING id")).rows[0]!.id;
  // tenant a runs the seed's legacy firmware and opted in to MAC-only devices knowingly (#20); trust
  // on first use for tenants that did not is proven in services/stack/test/security/production.test.ts
  await q.query('UPDATE tenants SET allow_mac_only = true WHERE id = $1', [tenantA]);
  assetA = (
    await q.query<{ id: string }>(
      "INSERT INTO assets (tenant_id, type, name) VALUES ($1, 'machine', 'm1') RETURNING id",
      [tenantA],
    )
  ).rows[0]!.id;
});

afterAll(async () => {
  await db?.drop();
});

const code = async (p: Promise<unknown>) => {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return (err as AppError).code;
};

describe('registry', () => {
  it('makes an unknown MAC a pending device whose token is refused until an admin assigns it', async () => {
    const hs = await registry.lifecycle.handshake({ mac: 'aa:bb:cc:00:00:01', firmware: '1.0.0' });
    expect(hs).toMatchObject({ deviceId: 'dev-aabbcc000001', assigned: false, state: 'pending', created: true });
    expect(await registry.credentials.verifyToken(hs.deviceId, hs.token)).toEqual({ ok: false, reason: 'pending' });
    expect((await registry.directory.listPending()).map((d) => d.id)).toContain(hs.deviceId);

    const assigned = await registry.lifecycle.assign(hs.deviceId, tenantA, assetA);
    expect(assigned).toMatchObject({ state: 'active', tenantId: tenantA, assetId: assetA, mac: 'AA:BB:CC:00:00:01' });
    expect(await registry.credentials.verifyToken(hs.deviceId, hs.token)).toEqual({
      ok: true,
      identity: { deviceId: hs.deviceId, tenantId: tenantA, assetId: assetA, state: 'active' },
    });
    const binding = await db.store.pool.query(
      'SELECT asset_id FROM device_bindings WHERE device_id = $1 AND unbound_at IS NULL',
      [hs.deviceId],
    );
    expect(binding.rows).toEqual([{ asset_id: assetA }]);
  });

  it('rotates the token at every handshake of a known MAC, keeping the previous one for the grace period', async () => {
    const first = await registry.lifecycle.handshake({ mac: 'AA-BB-CC-00-00-02', firmware: '1.0.0' });
    await registry.lifecycle.assign(first.deviceId, tenantA);
    const second = await registry.lifecycle.handshake({ mac: 'aa:bb:cc:00:00:02', firmware: '1.0.1' });
    expect(second).toMatchObject({ deviceId: first.deviceId, assigned: true, created: false });
    expect(second.token).not.toBe(first.token);
    expect((await registry.credentials.verifyToken(first.deviceId, second.token)).ok).toBe(true);
    expect((await registry.credentials.verifyToken(first.deviceId, first.token)).ok).toBe(true); // grace
    expect((await registry.credentials.verifyBearer(first.token)).ok).toBe(true);
    const third = await registry.lifecycle.handshake({ mac: 'aa:bb:cc:00:00:02', firmware: '1.0.1' });
    expect(await registry.credentials.verifyToken(first.deviceId, first.token)).toEqual({
      ok: false,
      reason: 'bad_token',
    });
    expect((await registry.credentials.verifyBearer(third.token)).ok).toBe(true);
    expect((await registry.directory.get(first.deviceId))?.firmware).toBe('1.0.1');
  });

  it('lets a rotation kill the old token at once, and revocation refuse everything', async () => {
    const hs = await registry.lifecycle.handshake({ mac: 'aa:bb:cc:00:00:03', firmware: '1' });
    await registry.lifecycle.assign(hs.deviceId, tenantA);
    expect(await code(registry.lifecycle.rotateToken(hs.deviceId, { tenantId: tenantB }))).toBe('NOT_FOUND');
    const { token } = await registry.lifecycle.rotateToken(hs.deviceId, { tenantId: tenantA, graceMs: 0 });
    expect(await registry.credentials.verifyToken(hs.deviceId, hs.token)).toEqual({ ok: false, reason: 'bad_token' });
    expect((await registry.credentials.verifyToken(hs.deviceId, token)).ok).toBe(true);

    expect(await code(registry.lifecycle.revoke(hs.deviceId, { tenantId: tenantB }))).toBe('NOT_FOUND');
    await registry.lifecycle.revoke(hs.deviceId, { tenantId: tenantA });
    expect(await registry.credentials.verifyToken(hs.deviceId, token)).toEqual({ ok: false, reason: 'revoked' });
    expect(await registry.credentials.verifyBearer(token)).toEqual({ ok: false, reason: 'bad_token' });
    expect(await code(registry.lifecycle.handshake({ mac: 'aa:bb:cc:00:00:03', firmware: '1' }))).toBe(
      'DEVICE_REVOKED',
    );
    expect(await registry.credentials.inactive([hs.deviceId, 'no-such-device'])).toEqual([
      hs.deviceId,
      'no-such-device',
    ]);
  });

  it('tells an unknown device from a wrong token and refuses malformed tokens without a query', async () => {
    expect(await registry.credentials.verifyToken('nobody', 'x'.repeat(43))).toEqual({
      ok: false,
      reason: 'unknown_device',
    });
    expect(await registry.credentials.verifyToken('nobody', 'short')).toEqual({ ok: false, reason: 'bad_token' });
    expect(await registry.credentials.verifyBearer('y'.repeat(43))).toEqual({ ok: false, reason: 'bad_token' });
  });

  it('binds a pre-registered device by claim code, replacing the pending twin its MAC created', async () => {
    const pending = await registry.lifecycle.handshake({ mac: 'aa:bb:cc:00:00:04', firmware: '1' });
    const pre = await registry.lifecycle.preRegister({ tenantId: tenantA, assetId: assetA, deviceId: 'esp32-claimed' });
    expect(pre.device).toMatchObject({ state: 'active', claimable: true, hasToken: false });
    const hs = await registry.lifecycle.handshake({
      mac: 'aa:bb:cc:00:00:04',
      firmware: '2',
      claimCode: pre.claimCode.toLowerCase(),
    });
    expect(hs).toMatchObject({ deviceId: 'esp32-claimed', assigned: true });
    expect(await registry.directory.get(pending.deviceId)).toBeUndefined();
    expect((await registry.directory.findByMac('AA:BB:CC:00:00:04'))?.id).toBe('esp32-claimed');
    expect(
      await code(registry.lifecycle.handshake({ mac: 'aa:bb:cc:00:00:05', firmware: '2', claimCode: pre.claimCode })),
    ).toBe('TOKEN_INVALID');
  });

  it('lets a device pre-registered with its MAC handshake with no claim code (the seed firmware)', async () => {
    await registry.lifecycle.preRegister({ tenantId: tenantA, deviceId: 'esp32-001', mac: 'EC:E3:34:46:2B:C0' });
    const hs = await registry.lifecycle.handshake({ mac: 'EC:E3:34:46:2B:C0', firmware: '1.0.0' });
    expect(hs).toMatchObject({ deviceId: 'esp32-001', assigned: true });
    expect((await registry.directory.get('esp32-001'))?.claimable).toBe(false);
    expect(await code(registry.lifecycle.preRegister({ tenantId: tenantA, mac: 'EC:E3:34:46:2B:C0' }))).toBe(
      'CONFLICT',
    );
    expect(await code(registry.lifecycle.assign('esp32-001', tenantB))).toBe('CONFLICT');
    expect(await registry.directory.get('esp32-001', { tenantId: tenantB })).toBeUndefined();
    expect(await registry.directory.findByMac('EC:E3:34:46:2B:C0', { tenantId: tenantB })).toBeUndefined();
  });

  it('survives concurrent first handshakes of one MAC: one device is created', async () => {
    const results = await Promise.all(
      Array.from({ length: 5 }, () => registry.lifecycle.handshake({ mac: 'aa:bb:cc:00:00:06', firmware: '1' })),
    );
    expect(new Set(results.map((r) => r.deviceId)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
  });

  it('answers the tenant questions of a gateway device posting for others', async () => {
    await db.store.pool.query("UPDATE tenants SET external_id = 'cust-a' WHERE id = $1", [tenantA]);
    await registry.lifecycle.preRegister({ tenantId: tenantA, deviceId: 'sensor-a1' });
    await registry.lifecycle.preRegister({ tenantId: tenantB, deviceId: 'sensor-b1' });
    expect(await registry.tenants.activeInTenant(tenantA, ['sensor-a1', 'sensor-b1', 'nope'])).toEqual(['sensor-a1']);
    expect(await registry.tenants.isTenantAlias(tenantA, 'cust-a')).toBe(true);
    expect(await registry.tenants.isTenantAlias(tenantA, tenantA)).toBe(true);
    expect(await registry.tenants.isTenantAlias(tenantB, 'cust-a')).toBe(false);
  });

  it('keeps presence: only the gateway holding the session marks the device offline', async () => {
    await registry.lifecycle.preRegister({ tenantId: tenantA, deviceId: 'presence-1' });
    const t0 = new Date();
    await registry.presence.recordConnected('presence-1', 'gw-a', t0);
    await registry.presence.recordConnected('presence-1', 'gw-b', new Date(t0.getTime() + 10));
    await registry.presence.recordDisconnected('presence-1', 'gw-a', new Date(t0.getTime() + 20));
    expect((await registry.directory.get('presence-1'))?.online).toBe(true);
    await registry.presence.touch([{ deviceId: 'presence-1', at: new Date(t0.getTime() + 5_000) }]);
    expect((await registry.directory.get('presence-1'))?.lastSeenAt?.getTime()).toBe(t0.getTime() + 5_000);
    expect(await registry.presence.recordGatewayDown('gw-b', new Date())).toBe(1);
    expect((await registry.directory.get('presence-1'))?.online).toBe(false);
  });

  it('writes many presence changes in one statement, each as recordConnected/recordDisconnected would', async () => {
    for (const id of ['bp-1', 'bp-2', 'bp-3'])
      await registry.lifecycle.preRegister({ tenantId: tenantA, deviceId: id });
    const t0 = new Date();
    const at = (ms: number) => new Date(t0.getTime() + ms);
    await registry.presence.recordPresence([
      { deviceId: 'bp-1', gatewayId: 'gw-a', at: at(0), online: true },
      { deviceId: 'bp-2', gatewayId: 'gw-a', at: at(0), online: true },
      { deviceId: 'bp-3', gatewayId: 'gw-b', at: at(0), online: true },
    ]);
    await registry.presence.recordPresence([
      { deviceId: 'bp-1', gatewayId: 'gw-a', at: at(20), online: false }, // holds it: offline
      { deviceId: 'bp-2', gatewayId: 'gw-b', at: at(20), online: false }, // another gateway: stays online
      { deviceId: 'bp-3', gatewayId: 'gw-b', at: at(-10), online: false }, // older than the connect: stays
    ]);
    const [d1, d2, d3] = await Promise.all(['bp-1', 'bp-2', 'bp-3'].map((id) => registry.directory.get(id)));
    expect(d1?.online).toBe(false);
    expect(d1?.lastConnectedAt?.getTime()).toBe(t0.getTime());
    expect(d1?.lastSeenAt?.getTime()).toBe(t0.getTime() + 20);
    expect(d2?.online).toBe(true);
    expect(d3?.online).toBe(true);
    await expect(
      registry.presence.recordPresence([
        { deviceId: 'bp-1', gatewayId: 'gw-a', at: at(30), online: true },
        { deviceId: 'bp-1', gatewayId: 'gw-a', at: at(40), online: false },
      ]),
    ).rejects.toThrow(/twice/);
  });

  it('answers a burst of CONNECT token checks (one batched lookup) each for its own device', async () => {
    await registry.lifecycle.preRegister({ tenantId: tenantA, deviceId: 'burst-1' });
    await registry.lifecycle.preRegister({ tenantId: tenantA, deviceId: 'burst-2' });
    const { token: t1 } = await registry.lifecycle.rotateToken('burst-1');
    const { token: t2 } = await registry.lifecycle.rotateToken('burst-2');
    const results = await Promise.all([
      registry.credentials.verifyToken('burst-1', t1),
      registry.credentials.verifyToken('burst-2', t2),
      registry.credentials.verifyToken('burst-1', t2),
      registry.credentials.verifyToken('burst-unknown', t1),
      registry.credentials.verifyToken('burst-2', t2),
    ]);
    expect(results.map((r) => (r.ok ? r.identity.deviceId : r.reason))).toEqual([
      'burst-1',
      'burst-2',
      'bad_token',
      'unknown_device',
      'burst-2',
    ]);
  });

  it("answers a burst of CONNECT decoder lookups (one batched query) each with its own device type's decoder, in its own tenant only", async () => {
    const q = db.store.pool;
    const spec = { metrics: { t: { path: 'temp' } } };
    await q.query(`INSERT INTO device_types (tenant_id, name, decoder) VALUES ($1, 'dec-typed', $2)`, [tenantA, spec]);
    await registry.lifecycle.preRegister({ tenantId: tenantA, deviceId: 'dec-1', deviceType: 'dec-typed' });
    await registry.lifecycle.preRegister({ tenantId: tenantA, deviceId: 'dec-2' });
    const results = await Promise.all([
      registry.directory.decoderOf(tenantA, 'dec-1'),
      registry.directory.decoderOf(tenantA, 'dec-2'),
      registry.directory.decoderOf(tenantB, 'dec-1'),
      registry.directory.decoderOf(tenantA, 'dec-unknown'),
      registry.directory.decoderOf(tenantA, 'dec-1'),
    ]);
    expect(results).toEqual([spec, null, null, null, spec]);
  });
});

const message = async (p: Promise<unknown>) => {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return `${(err as AppError).code}: ${(err as AppError).message}`;
};

describe('registry hardening (security review)', () => {
  it("gives a 'proof' device a token by MAC alone only at its first claim; afterwards it must prove itself", async () => {
    const pre = await registry.lifecycle.preRegister({
      tenantId: tenantA,
      deviceId: 'proof-1',
      mac: 'aa:bb:cc:10:00:01',
      handshakePolicy: 'proof',
    });
    expect(pre.device).toMatchObject({ handshakePolicy: 'proof', legacyHttp: false, canRelay: false });
    const mac = 'AA:BB:CC:10:00:01';
    const first = await registry.lifecycle.handshake({ mac, firmware: '1' }); // first claim: MAC alone
    expect(first).toMatchObject({ deviceId: 'proof-1', assigned: true });
    // anyone else knowing the MAC: refused, no token minted, the device's token untouched
    expect(await message(registry.lifecycle.handshake({ mac, firmware: '1' }))).toMatch(
      /^FORBIDDEN: .*Authorization: Bearer/,
    );
    expect(await code(registry.lifecycle.handshake({ mac, firmware: '1', proofToken: 'B'.repeat(43) }))).toBe(
      'FORBIDDEN',
    );
    expect(await code(registry.lifecycle.handshake({ mac, firmware: '1', proofToken: 'short' }))).toBe('FORBIDDEN');
    expect((await registry.credentials.verifyToken('proof-1', first.token)).ok).toBe(true);

    const second = await registry.lifecycle.handshake({ mac, firmware: '2', proofToken: first.token });
    expect(second.deviceId).toBe('proof-1');
    // the response of `second` was lost: the previous token, still in grace, proves the device too
    const third = await registry.lifecycle.handshake({ mac, firmware: '2', proofToken: first.token });
    expect((await registry.credentials.verifyToken('proof-1', third.token)).ok).toBe(true);
  });

  it("keeps a 'proof' device's claim code usable after a MAC-only first claim: the owner takes it back", async () => {
    const pre = await registry.lifecycle.preRegister({
      tenantId: tenantA,
      deviceId: 'proof-2',
      mac: 'aa:bb:cc:10:00:02',
      handshakePolicy: 'proof',
    });
    const squatter = await registry.lifecycle.handshake({ mac: 'aa:bb:cc:10:00:02', firmware: 'x' });
    expect((await registry.directory.get('proof-2'))?.claimable).toBe(true);
    const owner = await registry.lifecycle.handshake({
      mac: 'aa:bb:cc:10:00:02',
      firmware: '1',
      claimCode: pre.claimCode,
    });
    expect(owner.deviceId).toBe('proof-2');
    expect(await registry.credentials.verifyToken('proof-2', squatter.token)).toEqual({
      ok: false,
      reason: 'bad_token',
    });
    expect((await registry.directory.get('proof-2'))?.claimable).toBe(false);
  });

  it("rate-limits MAC-only re-handshakes of an active 'mac' device inside the grace window; proof is exempt", async () => {
    await registry.lifecycle.preRegister({ tenantId: tenantA, deviceId: 'mac-limit-1', mac: 'aa:bb:cc:10:00:03' });
    const mac = 'aa:bb:cc:10:00:03';
    let last = await registry.lifecycle.handshake({ mac, firmware: '1' }); // first claim: no previous token, not counted
    for (let i = 0; i < 4; i++) last = await registry.lifecycle.handshake({ mac, firmware: '1' }); // 4 inside the grace window
    expect(await message(registry.lifecycle.handshake({ mac, firmware: '1' }))).toMatch(/^RATE_LIMITED: /);
    expect((await registry.credentials.verifyToken('mac-limit-1', last.token)).ok).toBe(true); // nothing minted
    const proven = await registry.lifecycle.handshake({ mac, firmware: '1', proofToken: last.token });
    expect((await registry.credentials.verifyToken('mac-limit-1', proven.token)).ok).toBe(true);
    // an hour later the window starts over
    await db.store.pool.query(
      "UPDATE devices SET mac_handshake_window_at = now() - interval '61 minutes' WHERE id = 'mac-limit-1'",
    );
    expect((await registry.lifecycle.handshake({ mac, firmware: '1' })).deviceId).toBe('mac-limit-1');
  });

  it("creates devices of unknown MACs as 'mac', without legacy HTTP or relaying, and lets an admin change that", async () => {
    const hs = await registry.lifecycle.handshake({ mac: 'aa:bb:cc:10:00:04', firmware: '1' });
    expect(await registry.directory.get(hs.deviceId)).toMatchObject({
      handshakePolicy: 'mac',
      legacyHttp: false,
      canRelay: false,
    });
    await registry.lifecycle.assign(hs.deviceId, tenantA);
    expect(await code(registry.lifecycle.setEdgePolicy(hs.deviceId, { canRelay: true }, { tenantId: tenantB }))).toBe(
      'NOT_FOUND',
    );
    const set = await registry.lifecycle.setEdgePolicy(hs.deviceId, { handshakePolicy: 'proof', legacyHttp: true });
    expect(set).toMatchObject({ handshakePolicy: 'proof', legacyHttp: true, canRelay: false });
    expect(
      await registry.lifecycle.setEdgePolicy(hs.deviceId, { canRelay: true }, { tenantId: tenantA }),
    ).toMatchObject({
      handshakePolicy: 'proof',
      legacyHttp: true,
      canRelay: true,
    });
    // it holds a token now: the MAC alone no longer gets one
    expect(await code(registry.lifecycle.handshake({ mac: 'aa:bb:cc:10:00:04', firmware: '1' }))).toBe('FORBIDDEN');
  });

  it('says in its 409s neither which device holds an id or MAC nor to which tenant it belongs', async () => {
    await registry.lifecycle.preRegister({ tenantId: tenantB, deviceId: 'secret-b1', mac: 'aa:bb:cc:10:00:05' });
    const taken = await message(registry.lifecycle.preRegister({ tenantId: tenantA, mac: 'aa:bb:cc:10:00:05' }));
    expect(taken).toMatch(/^CONFLICT: /);
    expect(taken).not.toMatch(/secret-b1|AA:BB:CC:10:00:05/i);
    expect(await message(registry.lifecycle.preRegister({ tenantId: tenantA, deviceId: 'secret-b1' }))).not.toMatch(
      /secret-b1/,
    );
    // a claim code of tenant A used from the MAC of tenant B's device
    const pre = await registry.lifecycle.preRegister({ tenantId: tenantA, deviceId: 'claim-a1' });
    const claim = await message(
      registry.lifecycle.handshake({ mac: 'aa:bb:cc:10:00:05', firmware: '1', claimCode: pre.claimCode }),
    );
    expect(claim).toMatch(/^CONFLICT: /);
    expect(claim).not.toMatch(/secret-b1/);
    const other = await registry.lifecycle.preRegister({
      tenantId: tenantA,
      deviceId: 'claim-a2',
      mac: 'aa:bb:cc:10:00:06',
    });
    const mismatch = await message(
      registry.lifecycle.handshake({ mac: 'aa:bb:cc:10:00:07', firmware: '1', claimCode: other.claimCode }),
    );
    expect(mismatch).toMatch(/^CONFLICT: /);
    expect(mismatch).not.toMatch(/claim-a2|AA:BB:CC:10:00:06/i);
    // a tenant admin assigning another tenant's device: not found, as everywhere
    expect(await code(registry.lifecycle.assign('secret-b1', tenantA, null, { tenantId: tenantA }))).toBe('NOT_FOUND');
  });

  it('caps the pending devices unknown MACs create, and prunes the ones nobody assigned', async () => {
    const pending = async () =>
      (
        await db.store.pool.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM devices WHERE state = 'pending' AND tenant_id IS NULL",
        )
      ).rows[0]!.n;
    const n = await pending();
    expect(
      await message(registry.lifecycle.handshake({ mac: 'aa:bb:cc:10:00:08', firmware: '1', maxPending: n })),
    ).toMatch(/^RATE_LIMITED: too many unknown devices/);
    expect(await registry.directory.findByMac('aa:bb:cc:10:00:08')).toBeUndefined();
    const capped = createDeviceRegistry({ pool: db.store.pool, maxPending: n });
    expect(await code(capped.lifecycle.handshake({ mac: 'aa:bb:cc:10:00:08', firmware: '1' }))).toBe('RATE_LIMITED');
    // known MACs are not affected by the cap
    expect((await capped.lifecycle.handshake({ mac: 'aa:bb:cc:00:00:06', firmware: '1' })).created).toBe(false);
    const old = await registry.lifecycle.handshake({ mac: 'aa:bb:cc:10:00:09', firmware: '1', maxPending: n + 1 });
    const revoked = await registry.lifecycle.handshake({ mac: 'aa:bb:cc:10:00:0a', firmware: '1', maxPending: n + 2 });
    await registry.lifecycle.revoke(revoked.deviceId);
    await db.store.pool.query("UPDATE devices SET updated_at = now() - interval '31 days' WHERE id = ANY($1::text[])", [
      [old.deviceId, revoked.deviceId],
    ]);
    expect(await registry.lifecycle.prunePending(30 * 86_400_000)).toBe(1);
    expect(await registry.directory.get(old.deviceId)).toBeUndefined();
    expect((await registry.directory.get(revoked.deviceId))?.state).toBe('revoked'); // a revoked MAC stays refused
    expect(await pending()).toBe(n);
  });

  it('tells which sessions to close: device inactive, or token neither current nor previous in grace', async () => {
    await registry.lifecycle.preRegister({ tenantId: tenantA, deviceId: 'session-1' });
    const t1 = (await registry.lifecycle.rotateToken('session-1')).token;
    const t2 = (await registry.lifecycle.rotateToken('session-1', { graceMs: 60_000 })).token;
    const s = (token: string) => [{ deviceId: 'session-1', tokenHash: hashToken(token) }];
    expect(await registry.credentials.staleSessions([...s(t1), ...s(t2)])).toEqual([]); // previous, in grace; current
    const t3 = (await registry.lifecycle.rotateToken('session-1', { graceMs: 0 })).token; // t2 leaked
    expect(await registry.credentials.staleSessions(s(t1))).toEqual(['session-1']);
    expect(await registry.credentials.staleSessions(s(t2))).toEqual(['session-1']);
    expect(await registry.credentials.staleSessions(s(t3))).toEqual([]);
    const t4 = (await registry.lifecycle.rotateToken('session-1', { graceMs: 60_000 })).token;
    await db.store.pool.query(
      "UPDATE devices SET previous_token_expires_at = now() - interval '1 second' WHERE id = 'session-1'",
    );
    expect(await registry.credentials.staleSessions(s(t3))).toEqual(['session-1']); // its grace is over
    await registry.lifecycle.revoke('session-1');
    expect(
      await registry.credentials.staleSessions([...s(t4), { deviceId: 'gone', tokenHash: hashToken(t4) }]),
    ).toEqual(['session-1', 'gone']);
  });
});
