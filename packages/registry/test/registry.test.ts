import { AppError } from '@telemetry/contracts';
import { createTestStore, type TestStore } from '@telemetry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegistry, type Registry } from '../src/index.js';

let db: TestStore;
let registry: Registry;
let tenantA: string;
let tenantB: string;
let assetA: string;

beforeAll(async () => {
  db = await createTestStore('embedded');
  registry = createRegistry({ pool: db.store.pool, tokenGraceMs: 60_000 });
  const q = db.store.pool;
  tenantA = (await q.query<{ id: string }>("INSERT INTO tenants (name) VALUES ('a') RETURNING id")).rows[0]!.id;
  tenantB = (await q.query<{ id: string }>("INSERT INTO tenants (name) VALUES ('b') RETURNING id")).rows[0]!.id;
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
    const hs = await registry.handshake({ mac: 'aa:bb:cc:00:00:01', firmware: '1.0.0' });
    expect(hs).toMatchObject({ deviceId: 'dev-aabbcc000001', assigned: false, state: 'pending', created: true });
    expect(await registry.verifyToken(hs.deviceId, hs.token)).toEqual({ ok: false, reason: 'pending' });
    expect((await registry.listPending()).map((d) => d.id)).toContain(hs.deviceId);

    const assigned = await registry.assign(hs.deviceId, tenantA, assetA);
    expect(assigned).toMatchObject({ state: 'active', tenantId: tenantA, assetId: assetA, mac: 'AA:BB:CC:00:00:01' });
    expect(await registry.verifyToken(hs.deviceId, hs.token)).toEqual({
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
    const first = await registry.handshake({ mac: 'AA-BB-CC-00-00-02', firmware: '1.0.0' });
    await registry.assign(first.deviceId, tenantA);
    const second = await registry.handshake({ mac: 'aa:bb:cc:00:00:02', firmware: '1.0.1' });
    expect(second).toMatchObject({ deviceId: first.deviceId, assigned: true, created: false });
    expect(second.token).not.toBe(first.token);
    expect((await registry.verifyToken(first.deviceId, second.token)).ok).toBe(true);
    expect((await registry.verifyToken(first.deviceId, first.token)).ok).toBe(true); // grace
    expect((await registry.verifyBearer(first.token)).ok).toBe(true);
    const third = await registry.handshake({ mac: 'aa:bb:cc:00:00:02', firmware: '1.0.1' });
    expect(await registry.verifyToken(first.deviceId, first.token)).toEqual({ ok: false, reason: 'bad_token' });
    expect((await registry.verifyBearer(third.token)).ok).toBe(true);
    expect((await registry.get(first.deviceId))?.firmware).toBe('1.0.1');
  });

  it('lets a rotation kill the old token at once, and revocation refuse everything', async () => {
    const hs = await registry.handshake({ mac: 'aa:bb:cc:00:00:03', firmware: '1' });
    await registry.assign(hs.deviceId, tenantA);
    expect(await code(registry.rotateToken(hs.deviceId, { tenantId: tenantB }))).toBe('NOT_FOUND');
    const { token } = await registry.rotateToken(hs.deviceId, { tenantId: tenantA, graceMs: 0 });
    expect(await registry.verifyToken(hs.deviceId, hs.token)).toEqual({ ok: false, reason: 'bad_token' });
    expect((await registry.verifyToken(hs.deviceId, token)).ok).toBe(true);

    expect(await code(registry.revoke(hs.deviceId, { tenantId: tenantB }))).toBe('NOT_FOUND');
    await registry.revoke(hs.deviceId, { tenantId: tenantA });
    expect(await registry.verifyToken(hs.deviceId, token)).toEqual({ ok: false, reason: 'revoked' });
    expect(await registry.verifyBearer(token)).toEqual({ ok: false, reason: 'bad_token' });
    expect(await code(registry.handshake({ mac: 'aa:bb:cc:00:00:03', firmware: '1' }))).toBe('DEVICE_REVOKED');
    expect(await registry.inactive([hs.deviceId, 'no-such-device'])).toEqual([hs.deviceId, 'no-such-device']);
  });

  it('tells an unknown device from a wrong token and refuses malformed tokens without a query', async () => {
    expect(await registry.verifyToken('nobody', 'x'.repeat(43))).toEqual({ ok: false, reason: 'unknown_device' });
    expect(await registry.verifyToken('nobody', 'short')).toEqual({ ok: false, reason: 'bad_token' });
    expect(await registry.verifyBearer('y'.repeat(43))).toEqual({ ok: false, reason: 'bad_token' });
  });

  it('binds a pre-registered device by claim code, replacing the pending twin its MAC created', async () => {
    const pending = await registry.handshake({ mac: 'aa:bb:cc:00:00:04', firmware: '1' });
    const pre = await registry.preRegister({ tenantId: tenantA, assetId: assetA, deviceId: 'esp32-claimed' });
    expect(pre.device).toMatchObject({ state: 'active', claimable: true, hasToken: false });
    const hs = await registry.handshake({
      mac: 'aa:bb:cc:00:00:04',
      firmware: '2',
      claimCode: pre.claimCode.toLowerCase(),
    });
    expect(hs).toMatchObject({ deviceId: 'esp32-claimed', assigned: true });
    expect(await registry.get(pending.deviceId)).toBeUndefined();
    expect((await registry.findByMac('AA:BB:CC:00:00:04'))?.id).toBe('esp32-claimed');
    expect(await code(registry.handshake({ mac: 'aa:bb:cc:00:00:05', firmware: '2', claimCode: pre.claimCode }))).toBe(
      'TOKEN_INVALID',
    );
  });

  it('lets a device pre-registered with its MAC handshake with no claim code (the seed firmware)', async () => {
    await registry.preRegister({ tenantId: tenantA, deviceId: 'esp32-001', mac: 'EC:E3:34:46:2B:C0' });
    const hs = await registry.handshake({ mac: 'EC:E3:34:46:2B:C0', firmware: '1.0.0' });
    expect(hs).toMatchObject({ deviceId: 'esp32-001', assigned: true });
    expect((await registry.get('esp32-001'))?.claimable).toBe(false);
    expect(await code(registry.preRegister({ tenantId: tenantA, mac: 'EC:E3:34:46:2B:C0' }))).toBe('CONFLICT');
    expect(await code(registry.assign('esp32-001', tenantB))).toBe('CONFLICT');
    expect(await registry.get('esp32-001', { tenantId: tenantB })).toBeUndefined();
    expect(await registry.findByMac('EC:E3:34:46:2B:C0', { tenantId: tenantB })).toBeUndefined();
  });

  it('survives concurrent first handshakes of one MAC: one device is created', async () => {
    const results = await Promise.all(
      Array.from({ length: 5 }, () => registry.handshake({ mac: 'aa:bb:cc:00:00:06', firmware: '1' })),
    );
    expect(new Set(results.map((r) => r.deviceId)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
  });

  it('answers the tenant questions of a gateway device posting for others', async () => {
    await db.store.pool.query("UPDATE tenants SET external_id = 'cust-a' WHERE id = $1", [tenantA]);
    await registry.preRegister({ tenantId: tenantA, deviceId: 'sensor-a1' });
    await registry.preRegister({ tenantId: tenantB, deviceId: 'sensor-b1' });
    expect(await registry.activeInTenant(tenantA, ['sensor-a1', 'sensor-b1', 'nope'])).toEqual(['sensor-a1']);
    expect(await registry.isTenantAlias(tenantA, 'cust-a')).toBe(true);
    expect(await registry.isTenantAlias(tenantA, tenantA)).toBe(true);
    expect(await registry.isTenantAlias(tenantB, 'cust-a')).toBe(false);
  });

  it('keeps presence: only the gateway holding the session marks the device offline', async () => {
    await registry.preRegister({ tenantId: tenantA, deviceId: 'presence-1' });
    const t0 = new Date();
    await registry.recordConnected('presence-1', 'gw-a', t0);
    await registry.recordConnected('presence-1', 'gw-b', new Date(t0.getTime() + 10));
    await registry.recordDisconnected('presence-1', 'gw-a', new Date(t0.getTime() + 20));
    expect((await registry.get('presence-1'))?.online).toBe(true);
    await registry.touch([{ deviceId: 'presence-1', at: new Date(t0.getTime() + 5_000) }]);
    expect((await registry.get('presence-1'))?.lastSeenAt?.getTime()).toBe(t0.getTime() + 5_000);
    expect(await registry.recordGatewayDown('gw-b', new Date())).toBe(1);
    expect((await registry.get('presence-1'))?.online).toBe(false);
  });
});
