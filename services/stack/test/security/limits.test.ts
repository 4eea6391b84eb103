import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect, type Socket } from 'node:net';
import { applyServerLimits, serverOptions } from '@telemetry/api';
import { createHealth, createRegistry, startOpsServer } from '@telemetry/observability';
import { createDeviceRegistry } from '@telemetry/registry';
import { waitFor } from '@telemetry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startApi, type TenantFixture } from '../../../api/test/helpers.js';
import { record } from './figures.js';

// #20: the small edges that answered 500 (or nothing useful) answer 4xx problem+json with a reason.
describe('security: size, depth, NUL and connection limits', () => {
  let h: Harness;
  let t: TenantFixture;
  let limited: Server;
  let limitedUrl: string;
  const tried = { n: 0, refused: 0 };
  const refusedWith4xx = async (res: Response | { status: number; headers: Headers }, why: string) => {
    tried.n++;
    expect(res.status, why).toBeGreaterThanOrEqual(400);
    expect(res.status, why).toBeLessThan(500);
    expect(res.headers.get('content-type'), why).toMatch(/application\/problem\+json/);
    tried.refused++;
  };

  beforeAll(async () => {
    h = await startApi('embedded', { deviceRoutes: undefined });
    t = await h.tenant('Edges');
    // the same app behind the server limits as main.ts and the stack apply them (short timeouts here)
    const limits = { headersTimeoutMs: 1_000, requestTimeoutMs: 2_000, maxConnectionsPerIp: 40, maxConnections: 1_000 };
    limited = createServer(serverOptions(limits), h.api.app);
    applyServerLimits(limited, limits);
    await new Promise<void>((resolve) => limited.listen(0, '127.0.0.1', () => resolve()));
    limitedUrl = `http://127.0.0.1:${(limited.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    limited?.closeAllConnections();
    await new Promise((resolve) => limited?.close(resolve));
    await h?.close();
    record('size_depth_nul_limits', { tried: tried.n, refused: tried.refused, leaked: tried.n - tried.refused });
  });

  const call = (path: string, init: RequestInit = {}) =>
    fetch(`${h.url}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${t.users.admin.token}`, 'content-type': 'application/json', ...init.headers },
    });

  it('a NUL in a query value, a path, a login name or a JSON body is 400 with the reason', async () => {
    for (const path of [
      '/api/devices?q=%00',
      '/api/sites?q=a%00b',
      '/api/devices/x%00y',
      '/api/telemetry?deviceId=%00',
    ]) {
      const res = await call(path);
      await refusedWith4xx(res, path);
      expect(((await res.json()) as { detail: string }).detail).toMatch(/NUL/);
    }
    const login = await fetch(`${h.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin\u0000', password: 'x' }),
    });
    await refusedWith4xx(login, 'login');
    expect(((await login.json()) as { detail: string }).detail).toMatch(/NUL/);
    const site = await call('/api/sites', { method: 'POST', body: JSON.stringify({ name: 'HQ\u0000' }) });
    await refusedWith4xx(site, 'body');
  });

  it('JSON nested 10,000 deep is 400, not 500', async () => {
    const deep = `{"name":${'['.repeat(10_000)}${']'.repeat(10_000)}}`;
    const res = await call('/api/sites', { method: 'POST', body: deep });
    await refusedWith4xx(res, 'depth');
    expect(((await res.json()) as { detail: string }).detail).toMatch(/nested deeper/);
    const big = await call('/api/sites', { method: 'POST', body: JSON.stringify({ name: 'x'.repeat(2_000_000) }) });
    await refusedWith4xx(big, 'size');
  });

  it('a device event carrying a NUL is refused (and dead-lettered), not acknowledged then dropped', async () => {
    const registry = createDeviceRegistry({ pool: h.test.store.pool, tokenGraceMs: 60_000 });
    await registry.lifecycle.preRegister({ tenantId: t.id, deviceId: 'edge-nul-1' });
    const { token } = await registry.lifecycle.rotateToken('edge-nul-1');
    const res = await fetch(`${h.url}/api/device/events/`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        device_id: 'edge-nul-1',
        event_id: 'e-1',
        event: 'treatment',
        treatment: 'BASIC\u0000',
        counter: 1,
      }),
    });
    await refusedWith4xx(res, 'device event with NUL');
    expect(((await res.json()) as { detail: string }).detail).toMatch(/NUL/);
  });

  it('passwords: too short or common ones are refused with the reason', async () => {
    for (const password of ['password', '12345678', 'Password123!', 'short']) {
      const res = await call('/api/users', {
        method: 'POST',
        body: JSON.stringify({ role: 'viewer', username: `u-${tried.n}`, password }),
      });
      await refusedWith4xx(res, password);
      expect(JSON.stringify(await res.json())).toMatch(/common|at least/);
    }
    const ok = await call('/api/users', {
      method: 'POST',
      body: JSON.stringify({ role: 'viewer', username: 'good-pass', password: 'purple-kettle-drums-4' }),
    });
    expect(ok.status).toBe(201);
  });

  it('headers too large answer 431 with a problem body', async () => {
    const answer = await rawRequest(
      limitedUrl,
      `GET /api/devices HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
    );
    tried.n++;
    expect(answer).toMatch(/^HTTP\/1\.1 431 /);
    expect(answer).toMatch(/application\/problem\+json/);
    expect(answer).toMatch(/"status":431/);
    tried.refused++;
  });

  it('half-sent requests: over the per-address cap closed at once, the rest cut at the headers timeout', async () => {
    const sockets: Socket[] = [];
    const closed = new Set<Socket>();
    const port = Number(new URL(limitedUrl).port);
    for (let i = 0; i < 60; i++) {
      const s = connect(port, '127.0.0.1');
      s.on('error', () => undefined);
      s.on('data', () => undefined); // read, so the server's FIN is seen
      s.on('close', () => closed.add(s));
      s.on('connect', () => s.write('GET /api/devices HTTP/1.1\r\nHost: x\r\n')); // never finished
      sockets.push(s);
    }
    // 40 are allowed per address: the other 20 are closed at once
    await waitFor(() => closed.size >= 20, { timeoutMs: 5_000, message: 'over-cap connections closed' });
    // the held ones are cut after headersTimeout (1 s here; checked every second)
    await waitFor(() => closed.size === 60, { timeoutMs: 10_000, message: 'half-sent requests cut' });
    tried.n += 60;
    tried.refused += closed.size;
    // and the server answers again once the address's connections are gone
    await waitFor(async () => (await fetch(`${limitedUrl}/healthz`).catch(() => undefined))?.status === 200, {
      timeoutMs: 5_000,
      message: 'server answers after the flood',
    });
  });

  it('the /metrics servers bind loopback by default and need the token when one is set', async () => {
    const registry = createRegistry();
    const open = await startOpsServer({ registry, health: createHealth(), port: 0 });
    expect((open.server.address() as AddressInfo).address).toBe('127.0.0.1');
    await open.close();
    const guarded = await startOpsServer({ registry, health: createHealth(), port: 0, token: 'a-metrics-token-0123' });
    const url = `http://127.0.0.1:${guarded.port}/metrics`;
    const anon = await fetch(url);
    await refusedWith4xx(anon, 'metrics without token');
    expect(anon.status).toBe(401);
    expect((await fetch(url, { headers: { authorization: 'Bearer wrong-token-0123456' } })).status).toBe(401);
    expect((await fetch(url, { headers: { authorization: 'Bearer a-metrics-token-0123' } })).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${guarded.port}/healthz`)).status).toBe(200);
    await guarded.close();
  });

  it('GET /api/devices pages past the first page with its nextCursor', async () => {
    for (let i = 0; i < 5; i++) {
      const r = await call('/api/devices', { method: 'POST', body: JSON.stringify({ id: `page-dev-${i}` }) });
      expect(r.status, await r.clone().text()).toBe(201);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 10; pages++) {
      const qs: string = `?limit=2&q=page-dev${cursor ? `&cursor=${cursor}` : ''}`;
      const res = await call(`/api/devices${qs}`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { items: { id: string }[]; nextCursor: string | null };
      seen.push(...body.items.map((d) => d.id));
      cursor = body.nextCursor;
      if (!cursor) break;
      expect(Buffer.from(cursor, 'base64url').toString()).not.toContain('null');
    }
    expect(seen).toEqual([0, 1, 2, 3, 4].map((i) => `page-dev-${i}`));
  });
});

/** One raw HTTP exchange (for what fetch cannot send, like 20 kB of headers). */
function rawRequest(url: string, text: string): Promise<string> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const s = connect(Number(port), '127.0.0.1', () => s.write(text));
    let got = '';
    s.on('data', (d) => {
      got += d.toString();
    });
    s.on('end', () => resolve(got));
    s.on('close', () => resolve(got));
    s.on('error', reject);
  });
}
