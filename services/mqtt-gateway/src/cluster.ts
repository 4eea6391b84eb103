import { randomBytes } from 'node:crypto';
import type { Logger } from '@telemetry/observability';
import aedesPersistenceRedis from 'aedes-persistence-redis';
import { Redis } from 'ioredis';
import mqemitterRedis from 'mqemitter-redis';
import type { WillClaims } from './handlers/foreign-will.js';

/** A claim outlives any bus outage a publish waits through, and the will is deleted long before it ends. */
const WILL_CLAIM_MS = 3_600_000;

/** Uplink topics: no one may subscribe to them (the subscribe ACL), the bus is their only route. */
const UPLINK = /^devices\/[^/]+\/(telemetry|events|status)$/;

/** Minimal view of an mqemitter that aedes and the gateway use. */
export interface ClusterEmitter {
  on(topic: string, listener: (packet: { topic: string; payload: unknown }, done: () => void) => void): unknown;
  emit(packet: { topic: string }, done?: (err?: Error) => void): void;
  close(done: () => void): void;
}

/** mqemitter-redis exports it, its .d.ts does not declare it. */
type PrefixEmitterClass = new (
  prefix: string,
  opts: { pubConn: Redis; subConn: Redis; matchEmptyLevels: boolean },
) => ClusterEmitter & { state: NodeJS.EventEmitter };

export interface ClusterBackends {
  /** The aedes broker id: unique per process, so two instances never share packet ids or wills. */
  brokerId: string;
  mq: ClusterEmitter;
  persistence: unknown;
  /** Which instance bridges a dead instance's will (see handlers/foreign-will.ts). */
  willClaims: WillClaims;
  /** Every Redis connection is up (CONNECTs need the persistence; commands and takeovers the emitter). */
  healthy(): boolean;
  /**
   * Resolves once every connection is up; waits as long as it takes (ioredis keeps reconnecting)
   * unless `stop()` turns true. aedes's listen() runs the persistence's setup, whose commands fail
   * after ioredis's 20 retries (~13 s): started while Redis was down, the gateway exited (#15).
   */
  waitUntilHealthy(stop: () => boolean): Promise<void>;
  /** After broker.close(): the persistence, and the emitter if aedes did not (never started). */
  close(): Promise<void>;
}

/**
 * The aedes back ends that make several gateway processes one broker (REDIS_URL): mqemitter-redis
 * carries publishes between the instances (a command published on one reaches the device connected
 * to another; $SYS heartbeats, takeovers and the persistence's subscription broadcast), and
 * aedes-persistence-redis keeps the sessions (QoS 1 queues and subscriptions of clean=false
 * sessions, wills) where any instance finds them.
 *
 * Keys get `prefix` (ioredis keyPrefix) and channels get it too (MQEmitterRedisPrefix): the
 * instances sharing a prefix are one cluster, another prefix on the same Redis is another one.
 */
export function createClusterBackends(opts: {
  url: string;
  prefix: string;
  gatewayId: string;
  logger: Logger;
}): ClusterBackends {
  const { url, prefix, logger } = opts;
  const log = (what: string) => (err: Error) => logger.warn({ err: err.message }, `redis ${what} error`);
  // Own connections, with error listeners: ioredis reconnects by itself; unheard, the errors would
  // end the process (mqemitter-redis re-emits them on an EventEmitter without listener).
  const pubConn = new Redis(url, { enableAutoPipelining: true }).on('error', log('publish'));
  const subConn = new Redis(url).on('error', log('subscribe'));
  // maxRetriesPerRequest null: a session-store command waits for Redis instead of failing after
  // ioredis's 20 retries (~10.5 s), which made aedes drop every connected device mid-outage (#15).
  const db = new Redis(url, { keyPrefix: prefix, maxRetriesPerRequest: null }).on('error', log('persistence'));

  const mq = new (mqemitterRedis as unknown as { MQEmitterRedisPrefix: PrefixEmitterClass }).MQEmitterRedisPrefix(
    prefix,
    { pubConn, subConn, matchEmptyLevels: true }, // as aedes's own emitter [MQTT-4.7.1-3]
  );
  mq.state.on('error', log('emitter'));
  // A device's own publishes are bridged to the bus by the instance it is connected to, inside
  // authorizePublish. No device may subscribe to them, so they are not sent through Redis at all:
  // one Redis PUBLISH per telemetry message would buy nothing.
  const emit = mq.emit.bind(mq);
  mq.emit = (packet: { topic: string }, done?: (err?: Error) => void) => {
    if (UPLINK.test(packet.topic)) return void setImmediate(() => done?.());
    emit(packet, done);
  };

  const persistence = aedesPersistenceRedis({ conn: db });
  const healthy = () => pubConn.status === 'ready' && subConn.status === 'ready' && db.status === 'ready';
  return {
    // `-` keeps it one topic level ($SYS/<id>/heartbeat); the config's instance id is the pid by
    // default, the same in every container.
    brokerId: `${opts.gatewayId}-${randomBytes(4).toString('hex')}`,
    mq,
    persistence,
    willClaims: {
      claim: async (brokerId, clientId) =>
        (await db.set(`will-bridged:${brokerId}:${clientId}`, '1', 'PX', WILL_CLAIM_MS, 'NX')) === 'OK',
      release: async (brokerId, clientId) => {
        await db.del(`will-bridged:${brokerId}:${clientId}`).catch(() => undefined);
      },
    },
    healthy,
    async waitUntilHealthy(stop) {
      const since = Date.now();
      let warned = false;
      while (!healthy() && !stop()) {
        if (!warned && Date.now() - since > 1_000) {
          warned = true;
          logger.warn('redis not reachable: the gateway waits for it, not ready, before it listens');
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      if (warned && !stop()) logger.info({ waitedMs: Date.now() - since }, 'redis reachable again');
    },
    async close() {
      // Without a callback it returns the promise (with one it would wait for a 'ready' that
      // aedes 1.2, which calls setup() itself, never makes it emit).
      // (It throws when setup never ran, before disconnecting: hence the disconnect, a no-op otherwise.)
      await persistence.destroy().catch(() => undefined);
      db.disconnect();
      await new Promise<void>((resolve) => mq.close(() => resolve())); // a no-op when closed already
    },
  };
}
