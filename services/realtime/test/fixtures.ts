import { randomBytes, randomUUID } from 'node:crypto';
import type { Server as HttpServer } from 'node:http';
import { createTokenService, type Role } from '@telemetry/auth';
import type { Bus } from '@telemetry/bus';
import { type Config, loadConfig } from '@telemetry/config';
import { AlertV1 as AlertSchema, type AlertV1, encodeMessage, TelemetryAcceptedV1, Topics } from '@telemetry/contracts';
import { createRegistry, type Registry, silentLogger } from '@telemetry/observability';
import type { Store } from '@telemetry/store';
import type { Redis } from 'ioredis';
import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents, SubscribeAck } from '../src/index.js';
import { createRealtime, type Realtime, type RealtimeOptions } from '../src/index.js';

/** Like @telemetry/testing's uniqueName, which this file cannot import: the bench imports it outside vitest. */
export const uniqueName = (prefix: string): string =>
  `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;

export const JWT_SECRET = 'realtime-test-secret-0123456789-abcdefghij';
export const tokens = createTokenService({ secret: JWT_SECRET, accessTtlMs: 60_000 });

/** One tenant's little world: a site, a floor > pantry > dispenser tree, devices and users. */
export interface World {
  tenantA: string;
  tenantB: string;
  siteA: string;
  floor: string;
  pantry: string;
  dispenser: string;
  otherFloor: string;
  deviceA: string;
  deviceA2: string;
  deviceB: string;
  users: {
    adminA: string;
    operatorA: string;
    viewerPantry: string;
    viewerNothing: string;
    managerB: string;
    platform: string;
  };
}

/** Inserts the rows with SQL (no API in this test): two tenants, a tree, devices, users, an assignment. */
export async function seedWorld(store: Store): Promise<World> {
  const id = () => randomUUID();
  const suffix = uniqueName('w');
  const w: World = {
    tenantA: id(),
    tenantB: id(),
    siteA: id(),
    floor: id(),
    pantry: id(),
    dispenser: id(),
    otherFloor: id(),
    deviceA: `dev-a-${suffix}`,
    deviceA2: `dev-a2-${suffix}`,
    deviceB: `dev-b-${suffix}`,
    users: {
      adminA: id(),
      operatorA: id(),
      viewerPantry: id(),
      viewerNothing: id(),
      managerB: id(),
      platform: id(),
    },
  };
  await store.withTransaction(async (c) => {
    await c.query('INSERT INTO tenants (id, name) VALUES ($1, $2), ($3, $4)', [
      w.tenantA,
      `A ${suffix}`,
      w.tenantB,
      `B ${suffix}`,
    ]);
    await c.query('INSERT INTO sites (id, tenant_id, name) VALUES ($1, $2, $3)', [w.siteA, w.tenantA, 'HQ']);
    const asset = (aid: string, parent: string | null, site: string | null, type: string) =>
      c.query('INSERT INTO assets (id, tenant_id, site_id, parent_id, type, name) VALUES ($1, $2, $3, $4, $5, $5)', [
        aid,
        w.tenantA,
        site,
        parent,
        type,
      ]);
    await asset(w.floor, null, w.siteA, 'floor');
    await asset(w.pantry, w.floor, null, 'pantry');
    await asset(w.dispenser, w.pantry, null, 'dispenser');
    await asset(w.otherFloor, null, w.siteA, 'floor');
    await c.query(
      `INSERT INTO devices (id, tenant_id, asset_id, state) VALUES ($1, $2, $3, 'active'), ($4, $2, $5, 'active'), ($6, $7, NULL, 'active')`,
      [w.deviceA, w.tenantA, w.dispenser, w.deviceA2, w.otherFloor, w.deviceB, w.tenantB],
    );
    const user = (uid: string, tenant: string | null, role: Role) =>
      c.query(`INSERT INTO users (id, tenant_id, username, password_hash, role) VALUES ($1, $2, $3, 'x', $4)`, [
        uid,
        tenant,
        `${role}-${uid}`,
        role,
      ]);
    await user(w.users.adminA, w.tenantA, 'admin');
    await user(w.users.operatorA, w.tenantA, 'operator');
    await user(w.users.viewerPantry, w.tenantA, 'viewer');
    await user(w.users.viewerNothing, w.tenantA, 'viewer');
    await user(w.users.managerB, w.tenantB, 'manager');
    await user(w.users.platform, null, 'admin');
    await c.query('INSERT INTO user_assignments (tenant_id, user_id, asset_id) VALUES ($1, $2, $3)', [
      w.tenantA,
      w.users.viewerPantry,
      w.pantry,
    ]);
  });
  return w;
}

export function tokenFor(userId: string, tenantId: string | null, role: Role): string {
  return tokens.signAccess({ userId, tenantId, role, setupRequired: false }).token;
}

export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({ JWT_SECRET, REALTIME_PORT: '0', HTTP_HOST: '127.0.0.1', LOG_LEVEL: 'silent', ...env });
}

export interface Instance {
  realtime: Realtime;
  registry: Registry;
  url: string;
}

export async function startInstance(opts: {
  bus: Bus;
  store: Store;
  env?: Record<string, string>;
  redis?: Redis;
  httpServer?: HttpServer;
  options?: Partial<RealtimeOptions>;
}): Promise<Instance> {
  const registry = createRegistry();
  const realtime = createRealtime({
    bus: opts.bus,
    store: opts.store,
    logger: silentLogger(),
    registry,
    config: testConfig(opts.env),
    redis: opts.redis,
    httpServer: opts.httpServer,
    options: { groupId: uniqueName('realtime'), ...opts.options },
  });
  await realtime.start();
  return { realtime, registry, url: `http://127.0.0.1:${realtime.port() ?? 0}` };
}

export type TestSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** A client that records what it receives. */
export interface Client {
  socket: TestSocket;
  telemetry: TelemetryAcceptedV1[];
  alerts: Array<{ cursor: number; replay: boolean; alert: AlertV1 }>;
  disconnects: string[];
  subscribe(scope: 'tenant' | 'site' | 'asset' | 'device', id: string, since?: number): Promise<SubscribeAck>;
  close(): void;
}

/** Connects (no automatic reconnection: tests reconnect on purpose); rejects with the connect_error. */
export function connect(url: string, token: string | undefined): Promise<Client> {
  const socket: TestSocket = io(url, {
    auth: token === undefined ? {} : { token },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  const client: Client = {
    socket,
    telemetry: [],
    alerts: [],
    disconnects: [],
    subscribe: (scope, id, since) =>
      socket.timeout(10_000).emitWithAck('subscribe', { scope, id, ...(since !== undefined ? { since } : {}) }),
    close: () => socket.disconnect(),
  };
  socket.on('telemetry', (m) => client.telemetry.push(m));
  socket.on('alert', (m) => client.alerts.push(m));
  socket.on('server:disconnect', ({ reason }) => client.disconnects.push(reason));
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(client));
    socket.once('connect_error', (err) => {
      socket.close();
      reject(err);
    });
  });
}

export function reading(w: { tenantId: string; deviceId: string; assetId?: string | null }, n: number): Buffer {
  const now = new Date().toISOString();
  return encodeMessage(TelemetryAcceptedV1, {
    v: 1,
    tenantId: w.tenantId,
    deviceId: w.deviceId,
    eventId: `e-${n}-${randomUUID()}`,
    kind: 'telemetry',
    ts: now,
    receivedAt: now,
    source: 'mqtt',
    metrics: { n },
    attributes: {},
    trace: { device: Date.now() },
    assetId: w.assetId ?? null,
    late: false,
  });
}

export function alertMessage(a: {
  alertId?: string;
  tenantId: string;
  deviceId: string | null;
  message: string;
}): AlertV1 {
  const now = new Date().toISOString();
  return AlertSchema.parse({
    v: 1,
    change: 'opened',
    alertId: a.alertId ?? randomUUID(),
    tenantId: a.tenantId,
    ruleId: null,
    deviceId: a.deviceId,
    assetId: null,
    kind: 'manual',
    severity: 'warning',
    state: 'open',
    metric: null,
    value: null,
    threshold: null,
    message: a.message,
    openedAt: now,
    changedAt: now,
    changedBy: null,
  });
}

export async function publishTelemetry(bus: Bus, messages: Array<{ key: string; value: Buffer }>): Promise<void> {
  await bus.publish(Topics.telemetryAccepted, messages);
}

export async function publishAlerts(bus: Bus, alerts: AlertV1[]): Promise<void> {
  await bus.publish(
    Topics.alerts,
    alerts.map((a) => ({ key: a.deviceId ?? a.alertId, value: encodeMessage(AlertSchema, a) })),
  );
}

/** The value of a counter or gauge (summed over label sets matching `labels`). */
export async function metricValue(
  registry: Registry,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return 0;
  const { values } = await metric.get();
  return values
    .filter((v) =>
      Object.entries(labels).every(([k, want]) => String((v.labels as Record<string, unknown>)[k]) === want),
    )
    .reduce((sum, v) => sum + v.value, 0);
}
