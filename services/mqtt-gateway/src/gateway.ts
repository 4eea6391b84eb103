import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Bus } from '@telemetry/bus';
import type { CommandStore, ShadowStore } from '@telemetry/commands';
import { DeviceTopics, Topics } from '@telemetry/contracts';
import type { FirmwareReports } from '@telemetry/firmware';
import type { Logger, Registry as MetricsRegistry } from '@telemetry/observability';
import type { DeviceCredentials, DeviceRegistry } from '@telemetry/registry';
import { createRateLimiter, type Loop, startLoop } from '@telemetry/runtime';
import { Aedes, type Client } from 'aedes';
import { type Bridge, createBridge } from './bridge/bridge.js';
import { createDecoderCache } from './bridge/decoders.js';
import { type ClusterBackends, createClusterBackends } from './cluster.js';
import { createAckTracker } from './commands/acks.js';
import { createDesiredPusher, type DesiredPusher } from './commands/desired.js';
import { createDispatcher, type Dispatcher } from './commands/dispatcher.js';
import { createConnectHandlers } from './handlers/connect.js';
import { createFirmwareReportHandler } from './handlers/firmware.js';
import { createForeignWillBridge } from './handlers/foreign-will.js';
import { createAuthorizePublish } from './handlers/publish.js';
import { Sessions } from './handlers/sessions.js';
import { confineStoredSubscriptions, createAuthorizeForward, createAuthorizeSubscribe } from './handlers/subscribe.js';
import { createGatewayMetrics, type GatewayMetrics } from './metrics.js';
import { GuardedConnection } from './net/guarded-connection.js';
import { type Listener, listenTcp, listenWebSocket } from './net/listeners.js';
import { listenTcpProxied, listenWebSocketProxied } from './net/proxy-listeners.js';
import { certificateIdentity, listenMqtts, listenMqttWss } from './net/tls.js';
import { createPresence, type Presence } from './presence.js';
import type { PresenceReason } from './session.js';

export interface GatewayOptions {
  host: string;
  /** MQTT over TCP; 0 = a free port. */
  port: number;
  /** MQTT over WebSocket; 0 = a free port, -1 = off. */
  wsPort: number;
  /**
   * TLS (#20): with certificate files, MQTT over TLS on `tlsPort` (8883; -1 off) and over
   * WebSocket/TLS on `wssPort` (-1 off). With `caFile`, a client certificate issued by that CA
   * authenticates its device (subject CN = device id) without a token.
   */
  tls?: { certFile: string; keyFile: string; caFile?: string; port: number; wssPort: number };
  /** Whole MQTT packet; a fixed header announcing more drops the connection before buffering. */
  maxPacketBytes: number;
  /** Larger payloads (under maxPacketBytes) are dead-lettered as too_large. Default 16 KiB. */
  maxPayloadBytes?: number;
  /** Messages accepted and not yet acknowledged by the bus; above it QoS 0 waits too. */
  maxInflight: number;
  connectsPerIpPerMinute: number;
  /** A socket that sends no CONNECT within this is closed. Default 10 s. */
  connectTimeoutMs?: number;
  /**
   * How often open sessions are checked against the registry: sessions of devices no longer
   * active, or whose token is neither the current one nor the previous one in its grace window,
   * are closed. Default 60 s.
   */
  revalidateIntervalMs?: number;
  /** Pending devices (never assigned) not heard from for this long are deleted (DEVICE_PENDING_TTL); 0 = never. Default 30 days. */
  pendingTtlMs?: number;
  /** How often the pending devices are pruned. Default 1 h. */
  pruneIntervalMs?: number;
  /** How long a device type's payload decoder is used before it is read again (#14). Default 30 s. */
  decoderTtlMs?: number;
  /** How often devices.last_seen_at is written for active sessions. Default 15 s. */
  lastSeenFlushMs?: number;
  /**
   * REDIS_URL: the gateways sharing this Redis (and `redisPrefix`) are one broker (mqemitter-redis +
   * aedes-persistence-redis): a command published on any instance reaches the device wherever it is
   * connected, a clean=false session's subscriptions and QoS 1 queue follow the device to another
   * instance, a second CONNECT of a device on another instance ends the first. Absent: in memory,
   * this process alone.
   */
  redisUrl?: string;
  /** Prefix of the cluster's Redis keys and channels; instances sharing it are one broker. Default `mqtt:`. */
  redisPrefix?: string;
  /**
   * MQTT_STRICT_CLIENT_ID: the client id must be the device id (or empty with a clean session),
   * else CONNACK 2. Default false: any client id, the session is keyed by the device id.
   */
  strictClientId?: boolean;
  /**
   * With Redis: how often each instance tells the others it is alive (aedes heartbeatInterval). An
   * instance silent for 3 of them is dead; its devices' wills are published by a survivor within
   * about 4 more. Default 60 s.
   */
  heartbeatIntervalMs?: number;
  /** MQTT over TCP behind a load balancer: every connection starts with a PROXY v1/v2 header. -1/absent = off. */
  proxyPort?: number;
  /** MQTT over WebSocket, likewise behind a PROXY header. -1/absent = off. */
  wsProxyPort?: number;
  /** How often queued commands of connected devices are (re)tried and expired ones marked (ms). */
  commandSweepMs?: number;
}

export interface GatewayDeps {
  bus: Bus;
  registry: DeviceRegistry;
  logger: Logger;
  metrics: MetricsRegistry;
  /** Names this instance in presence (devices.connected_gateway) and as the aedes broker id. */
  gatewayId: string;
  options: GatewayOptions;
  /** Topic names; default the contracts' Topics (tests give their own to isolate on a shared Kafka). */
  topics?: Partial<GatewayTopics>;
  /** Commands to devices (#18), delivered from the store; without it the gateway sends none. */
  commands?: CommandStore;
  /** Desired configuration (#18), pushed from the store; reports stored there. Without it none. */
  shadows?: ShadowStore;
  /** Records firmware rollout reports from devices/{id}/firmware (#18); without it they are dead-lettered as any other topic. */
  firmware?: FirmwareReports;
}

export interface GatewayTopics {
  raw: string;
  dead: string;
  presence: string;
  /** device.commands.v1 announcements (#18); default the contracts' name. */
  commands?: string;
  /** device.desired.v1 announcements (#18); default the contracts' name. */
  desired?: string;
}

export interface Gateway {
  readonly id: string;
  /** Ensures the topics, listens; returns the bound ports (-1 for a listener that is off). */
  start(): Promise<{
    port: number;
    wsPort: number;
    proxyPort: number;
    wsProxyPort: number;
    tlsPort: number;
    wssPort: number;
  }>;
  /** Listening, the bus acknowledges publishes (and Redis is up, with one). Failing readiness does NOT drop device connections. */
  ready(): boolean;
  /** Devices connected now. */
  connectedDevices(): number;
  /** Messages accepted and not yet on the bus. */
  inflight(): number;
  /**
   * Sends to `devices/{id}/commands` (QoS 1). In memory: false when the device is not connected
   * here. With Redis: true once published to the whole cluster: the instance the device is
   * connected to delivers it, or it waits in the queue of the device's clean=false session; a
   * device with a clean session connected nowhere does not get it (no instance can tell that
   * without asking all of them).
   */
  sendCommand(deviceId: string, payload: Buffer | string): Promise<boolean>;
  /** Closes the sessions of these devices now (e.g. just revoked), rather than at the next periodic check. */
  disconnect(deviceIds: string[]): number;
  close(): Promise<void>;
}

/**
 * The MQTT edge: an aedes 1.2 broker whose hooks authenticate devices against the registry,
 * confine them to their own topics, and bridge their publishes to telemetry.raw.v1 with the
 * PUBACK sent only after the bus acknowledged.
 */
export function createGateway(deps: GatewayDeps): Gateway {
  const { bus, registry, logger, gatewayId, options } = deps;
  const metrics: GatewayMetrics = createGatewayMetrics(deps.metrics);
  const topics: GatewayTopics = {
    raw: Topics.telemetryRaw,
    dead: Topics.telemetryDead,
    presence: Topics.devicePresence,
    commands: Topics.deviceCommands,
    desired: Topics.deviceDesired,
    ...deps.topics,
  };
  const sessions = new Sessions();
  // each device type's payload decoder (#14): loaded at CONNECT, refreshed in the background
  const decoders = createDecoderCache({
    load: (tenantId, deviceId) => registry.directory.decoderOf(tenantId, deviceId),
    ttlMs: options.decoderTtlMs ?? 30_000,
    onError: (err) => logger.warn({ err }, 'payload decoder not loaded: the default decoder is used'),
  });
  const credentials: DeviceCredentials = {
    ...registry.credentials,
    async verifyToken(deviceId, token) {
      const result = await registry.credentials.verifyToken(deviceId, token);
      if (result.ok) await decoders.prefetch(result.identity.tenantId, result.identity.deviceId);
      return result;
    },
  };
  const bridge: Bridge = createBridge({
    bus,
    topics,
    logger,
    metrics,
    decoders,
    options: { maxInflight: options.maxInflight, maxPayloadBytes: options.maxPayloadBytes ?? 16_384 },
  });
  const presence: Presence = createPresence({
    bus,
    topic: topics.presence,
    presence: registry.presence,
    gatewayId,
    logger,
    metrics,
  });
  const limiter = createRateLimiter({ perMinute: options.connectsPerIpPerMinute });
  const connect = createConnectHandlers({
    credentials,
    sessions,
    metrics,
    logger,
    strictClientId: options.strictClientId === true,
    certificateOf: (client) => certificates.get((client as unknown as { conn: object }).conn),
  });
  let dispatcher: Dispatcher | undefined;
  let desired: DesiredPusher | undefined;
  const pendingTtlMs = options.pendingTtlMs ?? 30 * 86_400_000;
  const cluster: ClusterBackends | undefined = options.redisUrl
    ? createClusterBackends({
        url: options.redisUrl,
        prefix: options.redisPrefix ?? 'mqtt:',
        gatewayId,
        logger: logger.child({ component: 'mqtt-cluster' }),
      })
    : undefined;
  const publish = createAuthorizePublish({
    sessions,
    bridge,
    metrics,
    logger,
    brokerId: cluster?.brokerId,
    foreignWill: cluster
      ? createForeignWillBridge({ directory: registry.directory, bridge, claims: cluster.willClaims, logger })
      : undefined,
    onCommandReply: (session, payload) => dispatcher?.reply(session, payload) ?? Promise.resolve(),
    onReported: deps.shadows ? (session, payload) => desired?.report(session, payload) ?? Promise.resolve() : undefined,
    onFirmwareReport: deps.firmware
      ? createFirmwareReportHandler({ reports: deps.firmware, logger: logger.child({ component: 'firmware' }) })
      : undefined,
  });

  const acks = createAckTracker((client, packet) => dispatcher?.acknowledged(client, packet));
  const forward = createAuthorizeForward({ sessions });
  const broker = new Aedes({
    id: cluster?.brokerId ?? gatewayId,
    ...(cluster ? { mq: cluster.mq, persistence: cluster.persistence } : {}),
    connectTimeout: options.connectTimeoutMs ?? 10_000,
    ...(options.heartbeatIntervalMs ? { heartbeatInterval: options.heartbeatIntervalMs } : {}),
    // MQTT 3.1 caps client ids at 23 characters; outside strict mode the id becomes the device id.
    maxClientsIdLength: 128,
    preConnect: connect.preConnect,
    authenticate: connect.authenticate,
    authorizePublish: publish.authorizePublish,
    authorizeSubscribe: createAuthorizeSubscribe({ sessions, metrics }),
    authorizeForward: (client, packet) => {
      const allowed = forward(client, packet);
      return allowed && acks.track(client, allowed);
    },
  });
  publish.dropDenied(broker);
  if (deps.commands) {
    dispatcher = createDispatcher({
      broker,
      sessions,
      store: deps.commands,
      bus,
      topic: topics.commands ?? Topics.deviceCommands,
      gatewayId,
      logger: logger.child({ component: 'commands' }),
    });
  }
  if (deps.shadows) {
    desired = createDesiredPusher({
      broker,
      sessions,
      store: deps.shadows,
      bus,
      topic: topics.desired ?? Topics.deviceDesired,
      gatewayId,
      logger: logger.child({ component: 'desired' }),
    });
  }
  if (cluster) {
    // A device is in one session across the cluster: a CONNECT on another instance ends this one,
    // also when one of them used an empty client id (aedes only compares client ids). Published
    // in the 'client' event, before aedes's own `new/clients` of the same CONNECT: it arrives
    // first, so the session ends as a takeover, not as an error.
    cluster.mq.on('$SYS/+/new/devices', (packet, done) => {
      const from = packet.topic.split('/')[1];
      const deviceId = String(packet.payload);
      const client = from === broker.id ? undefined : sessions.client(deviceId);
      const session = sessions.get(client ?? null);
      if (client && session && !session.closed) {
        session.endReason ??= 'takeover';
        client.close();
      }
      done();
    });
  }

  const rawSockets = new Set<Duplex>();
  const listeners: Listener[] = [];
  const loops: Loop[] = [];
  let listening = false;
  let stopping = false;

  broker.on('client', (client: Client) => {
    const session = sessions.get(client);
    if (!session) return;
    metrics.connects.inc();
    metrics.connections.inc();
    presence.online(session);
    if (cluster) {
      broker.publish(
        {
          cmd: 'publish',
          topic: `$SYS/${broker.id}/new/devices`,
          payload: Buffer.from(session.identity.deviceId),
          qos: 0,
          dup: false,
          retain: false,
        },
        () => undefined,
      );
    }
  });
  broker.on('clientDisconnect', (client: Client) => {
    const session = sessions.get(client);
    if (!session) return;
    metrics.connections.dec();
    sessions.forget(client, session);
    const reason: PresenceReason =
      session.endReason ?? (stopping || cleanlyDisconnected(client) ? 'disconnect' : 'error');
    presence.offline(session, reason);
  });
  broker.on('keepaliveTimeout', (client: Client) => {
    const session = sessions.get(client);
    if (session) session.endReason ??= 'keepalive_timeout';
  });
  broker.on('ping', (_packet, client: Client) => {
    const session = sessions.get(client);
    if (session) session.lastSeen = Date.now();
  });
  broker.on('clientError', (client: Client, err: Error) =>
    logger.debug({ clientId: client.id, err: err.message }, 'client error'),
  );
  broker.on('connectionError', (_client: Client, err: Error) => logger.debug({ err: err.message }, 'connection error'));
  // aedes emits 'error' for persistence/will failures; unhandled it would end the process.
  // (aedes.d.ts does not declare the event, EventEmitter does.)
  (broker as unknown as NodeJS.EventEmitter).on('error', (err: Error) => logger.error({ err }, 'broker error'));

  /** Connections whose TLS client certificate was verified: the device id it names (#20). */
  const certificates = new WeakMap<object, string>();
  const accept = (raw: Duplex, ip: string, req?: IncomingMessage, certificate?: string) => {
    if (stopping) return void raw.destroy();
    // MQTT 3.1.1 has no CONNACK for "slow down" before CONNECT: the answer is closing the socket.
    if (!limiter.take(ip)) {
      metrics.connectsRefused.inc({ reason: 'rate_limited' });
      return void raw.destroy();
    }
    rawSockets.add(raw);
    raw.once('close', () => rawSockets.delete(raw));
    const conn = new GuardedConnection(raw, options.maxPacketBytes, (violation) => {
      metrics.connectionsDropped.inc({ reason: violation });
      logger.info({ ip, violation }, 'connection dropped: packet over the size limit');
    });
    conn.on('error', () => undefined); // aedes attaches its own; this one only keeps a late error from crashing
    if (certificate !== undefined) certificates.set(conn, certificate);
    broker.handle(conn, req);
  };

  /** MQTT over TLS and over WebSocket/TLS, from the certificate files (reloaded when they change). */
  async function listenSecure(): Promise<{ tlsPort: number; wssPort: number }> {
    const tls = options.tls;
    if (!tls) return { tlsPort: -1, wssPort: -1 };
    const onError = (err: unknown) =>
      logger.warn({ err }, 'TLS certificate files changed but do not load; the old ones stay');
    let tlsPort = -1;
    let wssPort = -1;
    if (tls.port >= 0) {
      const l = await listenMqtts(
        options.host,
        tls.port,
        tls,
        (socket) => accept(socket, socket.remoteAddress ?? 'unknown', undefined, certificateIdentity(socket)),
        onError,
      );
      listeners.push(l);
      tlsPort = l.port;
    }
    if (tls.wssPort >= 0) {
      const l = await listenMqttWss(
        options.host,
        tls.wssPort,
        tls,
        options.maxPacketBytes,
        (stream, req, socket) => accept(stream, socket.remoteAddress ?? 'unknown', req, certificateIdentity(socket)),
        onError,
      );
      listeners.push(l);
      wssPort = l.port;
    }
    return { tlsPort, wssPort };
  }

  /** The PROXY protocol listeners (MQTT_PROXY_PORT, MQTT_WS_PROXY_PORT): the address in the header is the client's. */
  async function listenBehindProxy(): Promise<{ proxyPort: number; wsProxyPort: number }> {
    const timeoutMs = options.connectTimeoutMs ?? 10_000;
    const refused = (reason: string) => {
      metrics.connectsRefused.inc({ reason: 'proxy_header' });
      logger.info({ reason }, 'connection refused: no valid PROXY protocol header');
    };
    let proxyPort = -1;
    let wsProxyPort = -1;
    if (options.proxyPort !== undefined && options.proxyPort >= 0) {
      const l = await listenTcpProxied(options.host, options.proxyPort, timeoutMs, (s, ip) => accept(s, ip), refused);
      listeners.push(l);
      proxyPort = l.port;
    }
    if (options.wsProxyPort !== undefined && options.wsProxyPort >= 0) {
      const l = await listenWebSocketProxied(
        options.host,
        options.wsProxyPort,
        options.maxPacketBytes,
        timeoutMs,
        (stream, req, ip) => accept(stream, ip, req),
        refused,
      );
      listeners.push(l);
      wsProxyPort = l.port;
    }
    return { proxyPort, wsProxyPort };
  }

  /**
   * Closes the sessions whose device may no longer connect, or whose token was rotated away (a
   * leaked token must not outlive its rotation on an open session). Only the sessions asked about
   * are closed: one that replaced them meanwhile authenticated on its own.
   */
  async function revalidate(): Promise<void> {
    const open = [...sessions.all()];
    if (open.length === 0) return;
    const stale = new Set(
      await registry.credentials.staleSessions(
        open.map(({ session }) => ({ deviceId: session.identity.deviceId, tokenHash: session.tokenHash })),
      ),
    );
    let n = 0;
    for (const { client, session } of open) {
      if (!stale.has(session.identity.deviceId) || session.closed) continue;
      session.endReason ??= 'disconnect';
      client.close();
      n++;
    }
    if (n > 0) logger.info({ sessions: n }, 'closed sessions of devices no longer active or with a rotated token');
  }

  async function prunePending(): Promise<void> {
    const deleted = await registry.lifecycle.prunePending(pendingTtlMs);
    if (deleted > 0) logger.info({ deleted }, 'pending devices never assigned expired');
  }

  function disconnect(deviceIds: string[]): number {
    let n = 0;
    for (const id of deviceIds) {
      const client = sessions.client(id);
      const session = client && sessions.get(client);
      if (!client || !session) continue;
      session.endReason ??= 'disconnect';
      client.close();
      n++;
    }
    return n;
  }

  const every = (ms: number, task: () => Promise<void>, what: string) => {
    loops.push(startLoop(what, ms, task, logger, { immediate: false }));
  };

  return {
    id: gatewayId,

    async start() {
      await bus.ensureTopics([{ name: topics.raw }, { name: topics.dead }, { name: topics.presence }]);
      // Redis down: wait for it (not ready meanwhile) rather than fail the start.
      await cluster?.waitUntilHealthy(() => stopping);
      if (stopping) throw new Error('mqtt gateway closed before it started');
      await broker.listen();
      confineStoredSubscriptions(broker, sessions);
      acks.attach(broker);
      // Sessions this id held before a crash are gone.
      await registry.presence
        .recordGatewayDown(gatewayId, new Date())
        .catch((err: unknown) => logger.warn({ err }, 'presence reset failed'));
      const tcp = await listenTcp(options.host, options.port, (socket) =>
        accept(socket, socket.remoteAddress ?? 'unknown'),
      );
      listeners.push(tcp);
      let wsPort = -1;
      if (options.wsPort >= 0) {
        const ws = await listenWebSocket(options.host, options.wsPort, options.maxPacketBytes, (stream, req) =>
          accept(stream, req.socket.remoteAddress ?? 'unknown', req),
        );
        listeners.push(ws);
        wsPort = ws.port;
      }
      const secure = await listenSecure();
      const proxied = await listenBehindProxy();
      every(
        1_000,
        async () => void metrics.busAvailable.set(bus.healthy() && bridge.busAvailable() ? 1 : 0),
        'bus gauge',
      );
      every(options.revalidateIntervalMs ?? 60_000, revalidate, 'session revalidation');
      if (pendingTtlMs > 0) every(options.pruneIntervalMs ?? 3_600_000, prunePending, 'pending device prune');
      every(
        options.lastSeenFlushMs ?? 15_000,
        () => presence.flushLastSeen([...sessions.all()].map((s) => s.session)),
        'last-seen flush',
      );
      if (dispatcher) {
        await dispatcher.start();
        every(options.commandSweepMs ?? 5_000, () => dispatcher?.sweep() ?? Promise.resolve(), 'command sweep');
      }
      if (desired) {
        await desired.start();
        every(options.commandSweepMs ?? 5_000, () => desired?.sweep() ?? Promise.resolve(), 'desired sweep');
      }
      listening = true;
      logger.info({ port: tcp.port, wsPort, ...secure, ...proxied, gatewayId }, 'mqtt gateway listening');
      return { port: tcp.port, wsPort, ...secure, ...proxied };
    },

    ready: () => listening && !stopping && bus.healthy() && bridge.busAvailable() && (cluster?.healthy() ?? true),
    connectedDevices: () => sessions.size,
    inflight: () => bridge.inflight(),

    sendCommand(deviceId, payload) {
      if (!cluster && !sessions.client(deviceId)) return Promise.resolve(false);
      return new Promise((resolve, reject) => {
        broker.publish(
          {
            cmd: 'publish',
            topic: DeviceTopics.commands(deviceId),
            payload: Buffer.isBuffer(payload) ? payload : Buffer.from(payload),
            qos: 1,
            dup: false,
            retain: false,
          },
          (err?: Error) => (err ? reject(err) : resolve(true)),
        );
      });
    },

    disconnect,

    async close() {
      if (stopping) return;
      stopping = true;
      listening = false;
      // not awaited: a tick stuck on a lost engine must not hold up the shutdown
      for (const l of loops) void l.stop();
      const closed = listeners.map((l) => l.close());
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await dispatcher?.close();
      await desired?.close();
      await cluster?.close();
      for (const raw of rawSockets) raw.destroy(); // sockets that never completed CONNECT
      await Promise.all(closed);
      await bridge.drain(5_000);
      await presence.flushLastSeen([]).catch(() => undefined);
      await presence.drain();
      await registry.presence.recordGatewayDown(gatewayId, new Date()).catch(() => undefined);
    },
  };
}

/**
 * aedes sets `_disconnected` when the client sent DISCONNECT (lib/handlers/index.js), and uses it
 * itself to decide whether the will is published; there is no public accessor in 1.2.
 */
function cleanlyDisconnected(client: Client): boolean {
  return (client as Client & { _disconnected?: boolean })._disconnected === true;
}
