/**
 * Getting devices onto a running stack the way an operator and the firmware do it, over HTTP:
 * sign in as the first admin (finishing its first-login setup), create a tenant, pre-register
 * devices by MAC (POST /api/devices), and let each device fetch its token with the ozone seed's
 * handshake (POST /api/handshake/). Without the device routes mounted the token comes from
 * POST /api/devices/:id/rotate-token instead.
 */
import { randomBytes } from 'node:crypto';
import { AppError } from '@telemetry/contracts';
import type { LoadDevice } from './loadgen/index.js';

export interface ApiClient {
  readonly baseUrl: string;
  readonly token: string;
  request<T>(method: string, path: string, body?: unknown): Promise<T>;
  /** The raw response (CSV exports). */
  fetch(path: string): Promise<Response>;
}

async function call<T>(
  baseUrl: string,
  token: string | undefined,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const res = await fetch(new URL(path, baseUrl), {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) {
    throw new AppError(
      res.status === 404 ? 'NOT_FOUND' : 'UNAVAILABLE',
      `${method} ${path} answered ${res.status}: ${text.slice(0, 300)}`,
      {
        details: { status: res.status },
      },
    );
  }
  return (text ? JSON.parse(text) : undefined) as T;
}

function client(baseUrl: string, token: string): ApiClient {
  return {
    baseUrl,
    token,
    request: (method, path, body) => call(baseUrl, token, method, path, body),
    fetch: (path) => fetch(new URL(path, baseUrl), { headers: { authorization: `Bearer ${token}` } }),
  };
}

/**
 * Signs in as the stack's first admin. A generated password must be changed and the profile
 * completed before the API serves anything else: the bench does both, as a new admin would.
 */
export async function signInAsAdmin(
  baseUrl: string,
  admin: { username: string; password: string },
): Promise<ApiClient> {
  type Login = { accessToken: string; setupRequired: boolean; user: { mustChangePassword?: boolean } };
  let login = await call<Login>(baseUrl, undefined, 'POST', '/api/auth/login', admin);
  if (!login.setupRequired) return client(baseUrl, login.accessToken);
  let password = admin.password;
  if (login.user.mustChangePassword !== false) {
    password = `bench-${randomBytes(12).toString('hex')}`;
    await call(baseUrl, login.accessToken, 'POST', '/api/auth/password', {
      currentPassword: admin.password,
      newPassword: password,
    });
    login = await call<Login>(baseUrl, undefined, 'POST', '/api/auth/login', { username: admin.username, password });
  }
  if (login.setupRequired) {
    await call(baseUrl, login.accessToken, 'PUT', '/api/auth/profile', {
      firstName: 'Bench',
      lastName: 'Admin',
      email: 'bench@example.com',
    });
  }
  return client(baseUrl, login.accessToken);
}

export async function createTenant(api: ApiClient, name: string): Promise<string> {
  const tenant = await api.request<{ id: string }>('POST', '/api/tenants', { name, timezone: 'UTC' });
  return tenant.id;
}

/** A locally administered MAC (02:…), unique per run and index. */
export function benchMac(run: number, index: number): string {
  const bytes = [0x02, 0xbe, run & 0xff, (index >> 16) & 0xff, (index >> 8) & 0xff, index & 0xff];
  return bytes
    .map((b) => b.toString(16).padStart(2, '0'))
    .join(':')
    .toUpperCase();
}

export interface ProvisionedDevice extends LoadDevice {
  deviceId: string;
  mac: string;
}

/**
 * `count` active devices of `tenantId` with their MQTT credentials (client id = username = device id,
 * password = token), `concurrency` requests at a time.
 */
export async function provisionDevices(
  api: ApiClient,
  opts: {
    tenantId: string;
    count: number;
    prefix: string;
    run: number;
    firstIndex?: number;
    concurrency?: number;
    /** Bind each device to this asset (the bench's alert rule targets it). */
    assetId?: string;
  },
): Promise<ProvisionedDevice[]> {
  const first = opts.firstIndex ?? 0;
  const out: ProvisionedDevice[] = new Array(opts.count);
  let next = 0;
  let handshakeRoute = true;
  const worker = async () => {
    while (next < opts.count) {
      const i = next++;
      const deviceId = `${opts.prefix}-${first + i}`;
      const mac = benchMac(opts.run, first + i);
      await api.request('POST', '/api/devices', {
        id: deviceId,
        mac,
        tenantId: opts.tenantId,
        name: `bench ${first + i}`,
        ...(opts.assetId ? { assetId: opts.assetId } : {}),
      });
      let token: string | undefined;
      if (handshakeRoute) {
        try {
          const hs = await call<{ device_id: string; token: string; assigned: boolean }>(
            api.baseUrl,
            undefined,
            'POST',
            '/api/handshake/',
            { mac, firmware: 'bench-1.0' },
          );
          if (hs.device_id !== deviceId || !hs.assigned) {
            throw new AppError(
              'CONFLICT',
              `handshake of ${mac} gave ${hs.device_id} (assigned ${hs.assigned}), expected ${deviceId}`,
            );
          }
          token = hs.token;
        } catch (err) {
          if (!(err instanceof AppError && err.code === 'NOT_FOUND')) throw err;
          handshakeRoute = false; // the device routes are not mounted in this build
        }
      }
      token ??= (
        await api.request<{ token: string }>('POST', `/api/devices/${deviceId}/rotate-token`, { graceSeconds: 0 })
      ).token;
      out[i] = {
        deviceId,
        mac,
        clientId: deviceId,
        username: deviceId,
        password: token,
        topic: `devices/${deviceId}/telemetry`,
      };
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.concurrency ?? 8, opts.count) }, worker));
  return out;
}
