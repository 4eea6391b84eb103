import { freePort, type Proc, startProcess, waitFor } from '@telemetry/testing';
import mqtt from 'mqtt';
import { expect } from 'vitest';

/** Talks to a running deployment the way a person and a device would: REST and MQTT. */
export interface Deployment {
  http: string;
  mqtt: string;
}

// biome-ignore lint/suspicious/noExplicitAny: the scenario reads the API's JSON loosely, as a client script would
export async function api<T = any>(
  d: Deployment,
  method: string,
  path: string,
  opts: { token?: string; body?: unknown; expect?: number } = {},
): Promise<T> {
  const res = await fetch(`${d.http}${path}`, {
    method,
    headers: {
      ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
    },
    body: opts.body !== undefined ? JSON.stringify(opts.body) : undefined,
  });
  const text = await res.text();
  if (res.status !== (opts.expect ?? res.status) || res.status >= 400) {
    if (opts.expect === undefined || res.status !== opts.expect) {
      throw new Error(`${method} ${path} answered ${res.status}: ${text}`);
    }
  }
  return (text ? JSON.parse(text) : undefined) as T;
}

/**
 * Signs in; when the product requires a new password first (generated accounts), sets `newPassword`.
 * Returns the token and the password that now works.
 */
export async function signIn(
  d: Deployment,
  username: string,
  password: string,
  newPassword: string,
): Promise<{ token: string; password: string }> {
  const first = await api(d, 'POST', '/api/auth/login', { body: { username, password } });
  if (!first.setupRequired) return { token: first.accessToken, password };
  await api(d, 'POST', '/api/auth/password', {
    token: first.accessToken,
    body: { currentPassword: password, newPassword },
  });
  const again = await api(d, 'POST', '/api/auth/login', { body: { username, password: newPassword } });
  return { token: again.accessToken, password: newPassword };
}

/** A tenant with one device that has done its handshake; returns its MQTT credentials. */
export async function provisionDevice(d: Deployment, token: string, name: string) {
  const tenant = await api(d, 'POST', '/api/tenants', { token, body: { name } });
  const tenantId: string = tenant.id ?? tenant.tenant?.id;
  const mac = '02:AB:CD:00:00:01';
  const deviceId = `${name.toLowerCase()}-esp32-001`;
  await api(d, 'POST', '/api/devices', { token, body: { id: deviceId, mac, tenantId, deviceType: 'machine' } });
  const hs = await api(d, 'POST', '/api/handshake/', { body: { mac, firmware: '1.0.0' } });
  expect(hs).toMatchObject({ device_id: deviceId, assigned: true });
  return { tenantId, deviceId, mac, deviceToken: hs.token as string };
}

/** Publishes one reading with QoS 1 and resolves once the gateway's PUBACK arrived. */
export async function publishReading(
  d: Deployment,
  device: { deviceId: string; deviceToken: string },
  eventId: string,
  temperature: number,
) {
  const client = await mqtt.connectAsync(d.mqtt, {
    username: device.deviceId,
    password: device.deviceToken,
    clientId: device.deviceId,
    reconnectPeriod: 0,
  });
  try {
    await client.publishAsync(
      `devices/${device.deviceId}/telemetry`,
      JSON.stringify({ event_id: eventId, ts: new Date().toISOString(), metrics: { temperature } }),
      { qos: 1 },
    );
  } finally {
    await client.endAsync();
  }
}

export async function latestTemperature(d: Deployment, token: string, tenantId: string, deviceId: string) {
  const body = await api(d, 'GET', `/api/telemetry/latest?deviceId=${deviceId}&tenantId=${tenantId}`, { token });
  const items = body.items as { deviceId: string; values: Record<string, { value: number }> }[];
  return items.find((i) => i.deviceId === deviceId)?.values.temperature?.value;
}

export async function expectTemperature(
  d: Deployment,
  token: string,
  tenantId: string,
  deviceId: string,
  value: number,
) {
  await waitFor(async () => (await latestTemperature(d, token, tenantId, deviceId)) === value, {
    timeoutMs: 20_000,
    message: `latest temperature of ${deviceId} = ${value}`,
  });
}

/**
 * `npm start` as a child process on a data directory, on free loopback ports, always on the embedded
 * engines whatever the test run's environment: on the shared broker its consumer groups would take
 * partitions from the distributed tests' services (same topic names). Resolves once the banner is out.
 */
/** The all-in-one stack on the embedded engines (none of the run's Kafka, PostgreSQL or Redis), on free ports. */
export async function embeddedStackEnv(dataDir: string): Promise<{ env: Record<string, string>; d: Deployment }> {
  const [http, mqtt, ws] = [await freePort(), await freePort(), await freePort()];
  return {
    env: {
      KAFKA_BROKERS: '',
      DATABASE_URL: '',
      REDIS_URL: '',
      DATA_DIR: dataDir,
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: String(http),
      MQTT_HOST: '127.0.0.1',
      MQTT_PORT: String(mqtt),
      MQTT_WS_PORT: String(ws),
      SIMULATE: 'false',
    },
    d: { http: `http://127.0.0.1:${http}`, mqtt: `mqtt://127.0.0.1:${mqtt}` },
  };
}

export async function startAllInOne(
  name: string,
  dataDir: string,
  env: Record<string, string> = {},
): Promise<{ proc: Proc; d: Deployment; banner: string }> {
  const embedded = await embeddedStackEnv(dataDir);
  const proc = startProcess(name, 'services/stack/src/main.ts', { ...embedded.env, ...env });
  await proc.waitForOutput(/Ctrl\+C stops it/);
  return { proc, d: embedded.d, banner: proc.output() };
}

/** The first platform admin the banner prints once, signed in with a new password. */
export async function firstAdmin(
  d: Deployment,
  banner: string,
): Promise<{ username: string; password: string; token: string }> {
  const m = banner.match(/platform admin\s+(\S+) \/ (\S+)/);
  if (!m) throw new Error(`no admin in the banner:\n${banner}`);
  const signedIn = await signIn(d, m[1] as string, m[2] as string, 'a-new-admin-secret-1');
  return { username: m[1] as string, password: signedIn.password, token: signedIn.token };
}
