import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createPasswordHasher, FAST_SCRYPT } from '@telemetry/auth';
import { type Bus, createMemoryBus } from '@telemetry/bus';
import { loadConfig } from '@telemetry/config';
import { createRegistry, silentLogger } from '@telemetry/observability';
import { createTestStore, type TestStore } from '@telemetry/testing';
import { type Api, type ApiDeps, createApi } from '../src/index.js';
import { createUser } from '../src/users/service.js';

export const passwords = createPasswordHasher(FAST_SCRYPT);
export const PASSWORD = 'correct-horse-1';
export const TEST_SECRET = 'test-secret-0123456789-0123456789-abcdef';

// biome-ignore lint/suspicious/noExplicitAny: response bodies are asserted field by field in the tests
export interface Res<T = any> {
  status: number;
  body: T;
  headers: Headers;
  text: string;
}

export interface Harness {
  url: string;
  api: Api;
  test: TestStore;
  bus: Bus;
  // biome-ignore lint/suspicious/noExplicitAny: see Res
  req<T = any>(
    method: string,
    path: string,
    opts?: { token?: string; body?: unknown; headers?: Record<string, string> },
  ): Promise<Res<T>>;
  login(username: string, password?: string): Promise<string>;
  /** A tenant with an admin, a manager, an operator and a viewer (all set up), and their access tokens. */
  tenant(name: string): Promise<TenantFixture>;
  platformToken(): Promise<string>;
  close(): Promise<void>;
}

export interface TenantFixture {
  id: string;
  name: string;
  users: Record<'admin' | 'manager' | 'operator' | 'viewer', { id: string; username: string; token: string }>;
}

/** One API over a fresh store (share it per test file: ~2 s embedded). */
export async function startApi(
  backend: 'embedded' | 'postgres' = 'embedded',
  overrides: Partial<ApiDeps> & { env?: Record<string, string> } = {},
): Promise<Harness> {
  const test = await createTestStore(backend);
  const bus = overrides.bus ?? createMemoryBus({ partitions: 2 });
  const config = loadConfig({
    NODE_ENV: 'test',
    DATA_DIR: 'memory://',
    API_LOGIN_RATE_PER_MIN: '100000',
    CORS_ORIGINS: 'http://allowed.example',
    JWT_SECRET: TEST_SECRET,
    ...overrides.env,
  });
  const api = createApi({
    store: test.store,
    bus,
    logger: silentLogger(),
    registry: createRegistry(),
    config,
    passwords,
    deviceRoutes: false,
    ...overrides,
  });
  const server: Server = await new Promise((resolve) => {
    const s = api.app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const req: Harness['req'] = async (method, path, opts = {}) => {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (opts.body !== undefined) headers['content-type'] ??= 'application/json';
    const res = await fetch(url + path, {
      method: method.toUpperCase(),
      headers,
      body: opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body),
    });
    const text = await res.text();
    let body: unknown = text;
    if ((res.headers.get('content-type') ?? '').includes('json') && text) body = JSON.parse(text);
    return { status: res.status, body: body as never, headers: res.headers, text };
  };

  const login = async (username: string, password = PASSWORD) => {
    const r = await req('post', '/api/auth/login', { body: { username, password } });
    if (r.status !== 200) throw new Error(`login ${username}: ${r.status} ${r.text}`);
    return r.body.accessToken as string;
  };

  const tenant = async (name: string): Promise<TenantFixture> => {
    const { rows } = await test.store.pool.query<{ id: string }>(
      'INSERT INTO tenants (name, external_id) VALUES ($1, $2) RETURNING id',
      [name, `ext-${name}`],
    );
    const id = rows[0]?.id as string;
    const users = {} as TenantFixture['users'];
    for (const role of ['admin', 'manager', 'operator', 'viewer'] as const) {
      const username = `${name}-${role}`.toLowerCase().replace(/[^a-z0-9-]/g, '');
      const { row } = await test.store.withTransaction((c) =>
        createUser(c, passwords, null, {
          username,
          password: PASSWORD,
          role,
          tenantId: id,
          firstName: role,
          lastName: name,
        }),
      );
      users[role] = { id: row.id, username, token: await login(username) };
    }
    return { id, name, users };
  };

  let platform: string | undefined;
  const platformToken = async () => {
    if (!platform) {
      await test.store.withTransaction((c) =>
        createUser(c, passwords, null, { username: 'root', password: PASSWORD, role: 'admin', tenantId: null }),
      );
      platform = await login('root');
    }
    return platform;
  };

  return {
    url,
    api,
    test,
    bus,
    req,
    login,
    tenant,
    platformToken,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections?.();
      await api.close();
      await bus.close();
      await test.drop();
    },
  };
}
