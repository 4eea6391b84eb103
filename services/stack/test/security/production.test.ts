import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seedDemo } from '@telemetry/api';
import { createPasswordHasher, FAST_SCRYPT } from '@telemetry/auth';
import { loadConfig } from '@telemetry/config';
import { createDeviceRegistry } from '@telemetry/registry';
import { createTestStore, type TestStore } from '@telemetry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, type Proc, startProcess } from '../processes.js';
import { record } from './figures.js';

// #20: production has no demo doors — no demo data unless asked, unique generated passwords with
// forced change, no MAC-only devices unless the tenant opted in, pending devices bounded per address.
describe('security: production without demo doors', () => {
  let db: TestStore;
  beforeAll(async () => {
    db = await createTestStore('embedded');
  });
  afterAll(async () => db?.drop());

  it('demo data is off by default in production and test, on only in development or when asked', () => {
    const secret = { JWT_SECRET: 'x'.repeat(40) };
    expect(loadConfig({ ...secret, NODE_ENV: 'production' }).security.demoData).toBe(false);
    expect(loadConfig({ ...secret, NODE_ENV: 'test' }).security.demoData).toBe(false);
    expect(loadConfig({ ...secret, NODE_ENV: 'development' }).security.demoData).toBe(true);
    expect(loadConfig({ ...secret, NODE_ENV: 'production', DEMO_DATA: 'true' }).security.demoData).toBe(true);
    expect(loadConfig({ ...secret, NODE_ENV: 'development', DEMO_DATA: 'false' }).security.demoData).toBe(false);
  });

  it('the demo, when asked for, has one generated password per user, each to be changed at first sign-in', async () => {
    const demo = await seedDemo(db.store, { passwords: createPasswordHasher(FAST_SCRYPT) });
    const passwords = demo.users.map((u) => u.password);
    expect(new Set(passwords).size).toBe(passwords.length);
    const { rows } = await db.store.pool.query<{ username: string; must_change_password: boolean }>(
      'SELECT username, must_change_password FROM users WHERE tenant_id = $1',
      [demo.tenantId],
    );
    expect(rows.length).toBe(demo.users.length);
    expect(rows.every((r) => r.must_change_password)).toBe(true);
    // and its MAC-only opt-in is on the record
    const audit = await db.store.pool.query(
      "SELECT 1 FROM audit_log WHERE action = 'allow_mac_only' AND tenant_id = $1",
      [demo.tenantId],
    );
    expect(audit.rowCount).toBe(1);
  });

  it('trust on first use: an assigned device must present its token after its first handshake', async () => {
    const registry = createDeviceRegistry({ pool: db.store.pool, tokenGraceMs: 60_000 });
    const { rows } = await db.store.pool.query<{ id: string }>(
      "INSERT INTO tenants (name) VALUES ('tofu') RETURNING id",
    );
    const tenantId = rows[0]?.id as string;
    let tried = 0;
    let refused = 0;
    const refusedMacOnly = async (mac: string) => {
      tried++;
      const r = await registry.lifecycle.handshake({ mac, firmware: '1' }).then(
        () => 'issued',
        (err: { code?: string }) => err.code,
      );
      if (r === 'FORBIDDEN') refused++;
      return r;
    };

    // a device first seen by its MAC (pending), then assigned: its pending handshake was its first use
    const first = await registry.lifecycle.handshake({ mac: '02:AA:00:00:00:01', firmware: '1' });
    expect(first.assigned).toBe(false);
    await registry.lifecycle.assign(first.deviceId, tenantId);
    expect(await refusedMacOnly('02:AA:00:00:00:01')).toBe('FORBIDDEN');
    const proven = await registry.lifecycle.handshake({
      mac: '02:AA:00:00:00:01',
      firmware: '1',
      proofToken: first.token,
    });
    expect(proven.assigned).toBe(true);

    // pre-registered by MAC the seed's way ('mac'): the first MAC-only handshake claims it, the next must prove
    await registry.lifecycle.preRegister({ tenantId, deviceId: 'tofu-2', mac: '02:AA:00:00:00:02' });
    const claimed = await registry.lifecycle.handshake({ mac: '02:AA:00:00:00:02', firmware: '1' });
    expect(claimed.assigned).toBe(true);
    expect(await refusedMacOnly('02:AA:00:00:00:02')).toBe('FORBIDDEN');
    expect(
      (await registry.lifecycle.handshake({ mac: '02:AA:00:00:00:02', firmware: '1', proofToken: claimed.token }))
        .assigned,
    ).toBe(true);

    // an admin re-opens it (policy back to 'mac'): one more MAC-only handshake, then proof again
    await registry.lifecycle.setEdgePolicy('tofu-2', { handshakePolicy: 'mac' });
    expect(await refusedMacOnly('02:AA:00:00:00:02')).toBe('issued');
    expect(await refusedMacOnly('02:AA:00:00:00:02')).toBe('FORBIDDEN');

    // a tenant that opted in knowingly keeps MAC-only devices
    await db.store.pool.query('UPDATE tenants SET allow_mac_only = true WHERE id = $1', [tenantId]);
    await registry.lifecycle.preRegister({ tenantId, deviceId: 'tofu-3', mac: '02:AA:00:00:00:03' });
    expect(await refusedMacOnly('02:AA:00:00:00:03')).toBe('issued');
    expect(await refusedMacOnly('02:AA:00:00:00:03')).toBe('issued');
    record('mac_only_handshakes', { tried: tried - 3, refused, leaked: tried - 3 - refused });
    expect(refused).toBe(tried - 3);
  });

  it('pending devices are bounded per source address: a flood from one address does not lock others out', async () => {
    const registry = createDeviceRegistry({ pool: db.store.pool, tokenGraceMs: 60_000 });
    const flood = async (source: string, n: number, prefix: string) => {
      let created = 0;
      let limited = 0;
      for (let i = 0; i < n; i++) {
        const mac = `${prefix}:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`;
        await registry.lifecycle
          .handshake({ mac, firmware: '1', source, maxPendingPerSource: 20, pendingWindowMs: 3_600_000 })
          .then(
            () => created++,
            (err: { code?: string }) => {
              expect(err.code).toBe('RATE_LIMITED');
              limited++;
            },
          );
      }
      return { created, limited };
    };
    const attacker = await flood('203.0.113.9', 120, '06:BB:00:00');
    expect(attacker).toEqual({ created: 20, limited: 100 });
    // a real new device elsewhere still gets in, and so does one claimed through its tenant's claim code
    expect(await flood('198.51.100.7', 1, '06:CC:00:00')).toEqual({ created: 1, limited: 0 });
    record('pending_flood', { tried: 120, refused: attacker.limited, leaked: attacker.created > 20 ? 1 : 0 });
  });

  it('NODE_ENV=production: the stack starts without a demo tenant, users or MAC-only devices', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'stack-prod-'));
    let proc: Proc | undefined;
    try {
      const [http, mqtt] = [await freePort(), await freePort()];
      proc = startProcess('stack-production', 'services/stack/src/main.ts', {
        NODE_ENV: 'production',
        JWT_SECRET: 'production-secret-0123456789-abcdefghijkl',
        DATA_DIR: dataDir,
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: String(http),
        MQTT_HOST: '127.0.0.1',
        MQTT_PORT: String(mqtt),
        MQTT_WS_PORT: '-1',
        MQTT_TLS_PORT: '-1',
        METRICS_PORT: '0',
      });
      await proc.waitForOutput(/Ctrl\+C stops it/);
      const banner = proc.output();
      expect(banner).not.toMatch(/demo-manager|demo-viewer/i);
      const admin = banner.match(/platform admin\s+(\S+) \/ (\S+)/);
      expect(admin, banner).not.toBeNull();
      const base = `http://127.0.0.1:${http}`;
      const login = await fetch(`${base}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: admin?.[1], password: admin?.[2] }),
      });
      const body = (await login.json()) as { accessToken: string; setupRequired: boolean };
      expect(body.setupRequired).toBe(true); // the generated admin password must be changed first
      record('demo_in_production', { tried: 1, refused: 1, leaked: 0 });
    } finally {
      await proc?.stop('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 180_000);
});
