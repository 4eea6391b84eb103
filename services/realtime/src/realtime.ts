import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdapter } from '@socket.io/redis-adapter';
import type { Bus, Subscription } from '@telemetry/bus';
import type { Config } from '@telemetry/config';
import type { SessionRevokedV1 } from '@telemetry/contracts';
import type { Logger, Registry } from '@telemetry/observability';
import { startLoop } from '@telemetry/runtime';
import type { Store } from '@telemetry/store';
import type { Redis } from 'ioredis';
import { Server } from 'socket.io';
import { authenticate, createRevocationCheck, handshakeError } from './auth.js';
import { startConsumer } from './consumer.js';
import { createDirectory } from './directory.js';
import { createDispatcher } from './dispatcher.js';
import { attachHandlers, revalidate } from './handlers.js';
import { createMetrics } from './metrics.js';
import { guardCommands, PUBLISHER_COMMANDS, SUBSCRIBER_COMMANDS } from './redis-guard.js';
import { createRevoker, startRevocationConsumer } from './revocation.js';
import { type Delivery, type RealtimeServer, Session } from './session.js';
import { loadWorkView } from './work-view.js';

export type { RealtimeServer } from './session.js';

/** Tunables with defaults; the ones an operator sets come from Config (REALTIME_*). */
export interface RealtimeOptions {
  /** The consumer group every gateway instance shares (each bus message handled by one). */
  groupId: string;
  /** Prefix of the redis adapter's channels; instances that share clients share it. */
  redisKey: string;
  path: string;
  /** How long placement and access lookups are cached. */
  cacheTtlMs: number;
  /** Packets waiting in a socket's buffer above which its telemetry is held back (latest wins). */
  softBuffer: number;
  maxSubscriptions: number;
  resumeOverlapMs: number;
  resumeWindowMs: number;
  replayLimit: number;
  /** How often held-back telemetry is flushed. Default: a fifth of the per-device interval, 10..100 ms. */
  tickMs?: number;
}

export interface RealtimeDeps {
  bus: Bus;
  store: Pick<Store, 'pool'>;
  logger: Logger;
  registry: Registry;
  config: Pick<Config, 'auth' | 'realtime' | 'http'>;
  /** Attach to this server (the API's, in the all-in-one stack) instead of listening on cfg.realtime.port. */
  httpServer?: HttpServer;
  /** With Redis, several instances share rooms through @socket.io/redis-adapter. Not closed by close(). */
  redis?: Redis;
  options?: Partial<RealtimeOptions>;
}

export interface Realtime {
  readonly io: RealtimeServer;
  /** Subscribes to the bus and, standalone, listens on cfg.realtime.port. */
  start(): Promise<void>;
  /** Stops consuming, closes every socket, leaves the attached http server open. Idempotent. */
  close(): Promise<void>;
  /** The port listened on (standalone), or undefined when attached or not started. */
  port(): number | undefined;
  /** Consuming and (with Redis) subscribed to the adapter's channels. */
  ready(): boolean;
}

const DEFAULTS: RealtimeOptions = {
  groupId: 'realtime',
  redisKey: 'socket.io',
  path: '/socket.io',
  cacheTtlMs: 5_000,
  softBuffer: 64,
  maxSubscriptions: 200,
  resumeOverlapMs: 60_000,
  resumeWindowMs: 24 * 3_600_000,
  replayLimit: 1_000,
};

/**
 * The realtime gateway: Socket.IO for dashboards, fed by telemetry.accepted.v1, alerts.v1,
 * tasks.v1 and device.presence.v1.
 *
 * Scale-out: all instances join one consumer group, so each bus message is handled by ONE
 * instance; it routes the message to rooms and delivers it to its own sockets, and sends the
 * routed delivery to the other instances through the redis adapter (serverSideEmit), which
 * deliver it to theirs. Every client thus gets each message once, whichever instance it is on.
 * Delivery is per socket (not a blind room broadcast) because coalescing and slow-client limits
 * are per client: see session.ts.
 */
export function createRealtime(deps: RealtimeDeps): Realtime {
  const { bus, logger, config } = deps;
  const opts: RealtimeOptions = { ...DEFAULTS, ...deps.options };
  const jwtSecret = config.auth.jwtSecret;
  if (!jwtSecret) {
    throw new Error('realtime: cfg.auth.jwtSecret is required (JWT_SECRET, the same secret the API signs with)');
  }
  const minIntervalMs = 1000 / config.realtime.maxUpdatesPerSecond;
  const limits = {
    minIntervalMs,
    softBuffer: opts.softBuffer,
    maxBuffer: Math.max(config.realtime.maxBuffered, opts.softBuffer + 1),
    drainTimeoutMs: config.realtime.drainTimeoutMs,
  };
  const metrics = createMetrics(deps.registry);
  const directory = createDirectory(deps.store.pool, { ttlMs: opts.cacheTtlMs });
  const now = Date.now;
  let lastCursor = 0;
  const nextCursor = () => {
    lastCursor = Math.max(lastCursor + 1, now());
    return lastCursor;
  };

  const ownServer = deps.httpServer ? undefined : createServer((_req, res) => res.writeHead(404).end());
  const httpServer = deps.httpServer ?? (ownServer as HttpServer);
  const io: RealtimeServer = new Server(httpServer, {
    path: opts.path,
    // Clients only send small control messages.
    maxHttpBufferSize: 64 * 1024,
    cors: config.http.corsOrigins.length > 0 ? { origin: config.http.corsOrigins, credentials: true } : undefined,
    serveClient: false,
  });

  const redisSub = deps.redis?.duplicate();
  // ioredis reconnects by itself; without a listener its errors would only reach the console.
  redisSub?.on('error', (err) => logger.warn({ err }, 'realtime: redis subscriber connection error'));
  let redisPublishFailures = 0;
  if (deps.redis && redisSub) {
    const pub = guardCommands(deps.redis, PUBLISHER_COMMANDS, (err) => {
      // one line per outage, not per delivery
      if (redisPublishFailures++ === 0)
        logger.warn({ err }, 'realtime: redis publish failed; other instances miss deliveries until it is back');
      metrics.redisPublishFailures.inc();
    });
    deps.redis.on('ready', () => {
      redisPublishFailures = 0;
    });
    const sub = guardCommands(redisSub, SUBSCRIBER_COMMANDS, (err) =>
      logger.debug({ err }, 'realtime: redis subscribe command failed (re-sent on reconnect)'),
    );
    io.adapter(createAdapter(pub, sub, { key: opts.redisKey }));
  }

  const dispatcher = createDispatcher({
    io,
    metrics,
    tickMs: opts.tickMs ?? Math.min(100, Math.max(10, Math.floor(minIntervalMs / 5))),
    now,
  });
  // Operators' work views follow assignment and setting changes within the directory's TTL.
  const workViews = startLoop(
    'realtime work views',
    opts.cacheTtlMs,
    async () => {
      for (const session of dispatcher.sessions.values()) {
        if (!session.workView) continue;
        session.workView = await loadWorkView(directory, session.user, now());
      }
    },
    logger,
    { immediate: false },
  );
  // Deliveries routed by another instance (redis adapter); never our own, the adapter skips those.
  io.on('rt:deliver', (deliveries: Delivery[]) => dispatcher.deliver(deliveries));
  const publish = (deliveries: Delivery[]) => {
    dispatcher.deliver(deliveries);
    if (deps.redis) io.serverSideEmit('rt:deliver', deliveries);
  };

  // a signed-out or rotated-away session is refused even while its access token has not expired
  const isRevoked = createRevocationCheck(deps.store.pool);
  io.use((socket, next) => {
    authenticate(directory, jwtSecret, socket.handshake.auth?.token, now, isRevoked)
      .then(async (identity) => ({ ...identity, workView: await loadWorkView(directory, identity.user, now()) }))
      .then(
        (identity) => {
          socket.data = identity;
          next();
        },
        (err) => {
          const refusal = handshakeError(err);
          metrics.refusedHandshakes.inc({ code: refusal.data.code });
          if (refusal.data.code === 'INTERNAL' || refusal.data.code === 'UNAVAILABLE') {
            logger.error({ err }, 'realtime: handshake failed');
          }
          next(refusal);
        },
      );
  });

  const revoke = createRevoker({
    directory,
    isRevoked,
    sessions: () => dispatcher.sessions.values(),
    revalidate: (session) => revalidate(session, { directory, now }),
    metrics,
    logger,
  });
  io.on('rt:revoke', (messages: SessionRevokedV1[]) => {
    void revoke(messages);
  });

  const handlerContext = {
    directory,
    pool: deps.store.pool,
    metrics,
    logger,
    jwtSecret,
    maxSubscriptions: opts.maxSubscriptions,
    resumeOverlapMs: opts.resumeOverlapMs,
    resumeWindowMs: opts.resumeWindowMs,
    replayLimit: opts.replayLimit,
    now,
  };

  io.on('connection', (socket) => {
    const session = new Session(socket, socket.data.user, limits, metrics, (s) => dispatcher.markDirty(s));
    session.workView = socket.data.workView;
    dispatcher.add(session);
    metrics.connected.inc();
    session.armExpiry(socket.data.claims.exp, now());
    attachHandlers(session, handlerContext);
    socket.on('disconnect', () => {
      dispatcher.remove(session);
      session.dispose();
      metrics.connected.dec();
    });
  });

  let subscription: Subscription | undefined;
  let revocations: Subscription | undefined;
  let consuming = false;
  let closing: Promise<void> | undefined;

  return {
    io,
    async start() {
      if (redisSub) {
        // The adapter subscribed on the duplicate already; a PING queued behind those commands
        // answers once they are in force, so no delivery from another instance is missed.
        // Redis down at start: start anyway, not ready (redisSub.status), it subscribes on reconnect.
        await redisSub.ping().catch((err: Error) => {
          logger.warn({ err }, 'realtime: redis not reachable at start; running not-ready until it is');
        });
      }
      subscription = await startConsumer({
        bus,
        directory,
        logger,
        metrics,
        groupId: opts.groupId,
        nextCursor,
        publish,
      });
      revocations = await startRevocationConsumer({
        bus,
        groupId: `${opts.groupId}.sessions`,
        logger,
        apply: revoke,
        forward: (messages) => {
          if (deps.redis) io.serverSideEmit('rt:revoke', messages);
        },
      });
      await Promise.all([subscription.ready, revocations.ready]);
      consuming = true;
      if (ownServer) {
        await new Promise<void>((resolve, reject) => {
          ownServer.once('error', reject);
          ownServer.listen(config.realtime.port, config.http.host, () => {
            ownServer.off('error', reject);
            resolve();
          });
        });
      }
      logger.info({ port: this.port(), path: opts.path, redis: Boolean(deps.redis) }, 'realtime: started');
    },
    close() {
      closing ??= (async () => {
        consuming = false;
        await subscription?.close().catch((err) => logger.warn({ err }, 'realtime: closing the bus subscription'));
        await revocations
          ?.close()
          .catch((err) => logger.warn({ err }, 'realtime: closing the revocation subscription'));
        dispatcher.close();
        await workViews.stop();
        if (ownServer) {
          ownServer.closeAllConnections();
          await io.close();
        } else {
          // io.close() would also close the API's server: close only what is ours. Closing the
          // engine's connections (not a server-side disconnect) lets clients reconnect elsewhere.
          io.engine.close();
          await io.of('/').adapter.close();
        }
        redisSub?.disconnect();
      })();
      return closing;
    },
    port() {
      const addr = ownServer?.address();
      return addr && typeof addr === 'object' ? (addr as AddressInfo).port : undefined;
    },
    ready() {
      return consuming && (!redisSub || redisSub.status === 'ready');
    },
  };
}
