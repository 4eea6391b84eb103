import type { Bus, OutgoingMessage } from '@telemetry/bus';
import type { Logger } from '@telemetry/observability';
import { backoffMs, sleep } from '@telemetry/runtime';
import { createLogThrottle } from '../log-throttle.js';
import type { GatewayMetrics } from '../metrics.js';
import type { Session } from '../session.js';
import type { Channel } from '../topics.js';
import type { DecoderCache } from './decoders.js';
import { DeviceQueue } from './device-queue.js';
import { Inflight } from './inflight.js';
import { normalizeMqtt } from './normalize.js';
import { ResendMemory } from './resend-memory.js';

export interface BridgeOptions {
  maxInflight: number;
  maxPayloadBytes: number;
  /** Messages per bus publish for one device (consecutive, same topic). */
  maxBatch?: number;
}

export interface DevicePublish {
  topic: string;
  /** Undefined: a topic outside the device's own (dead-lettered `acl_denied`, still acknowledged). */
  channel: Channel | undefined;
  payload: Buffer;
  qos: 0 | 1 | 2;
  will: boolean;
  /** PUBLISH DUP flag and packet id (QoS > 0): a resend of an id-less, time-less payload keeps its first id. */
  dup?: boolean;
  messageId?: number;
  /** A will of a dead instance: what its event id is derived from (the same on every survivor). */
  willId?: string;
}

/**
 * MQTT publish -> telemetry.raw.v1 (or telemetry.dead.v1). The callback is aedes' authorizePublish
 * callback: for QoS 1/2 aedes writes PUBACK/PUBREC right after it, so it is called only once the
 * bus acknowledged the message (Kafka acks=all; memory bus: processed by the durable groups).
 */
export interface Bridge {
  forward(session: Session, publish: DevicePublish, callback: (err?: Error | null) => void): void;
  /** False since the last failed bus publish, until one succeeds. */
  busAvailable(): boolean;
  inflight(): number;
  /** Waits for in-flight messages (at most timeoutMs), then abandons what is left. */
  drain(timeoutMs: number): Promise<void>;
}

export function createBridge(deps: {
  bus: Bus;
  topics: { raw: string; dead: string };
  logger: Logger;
  metrics: GatewayMetrics;
  options: BridgeOptions;
  /** Payload decoders per device type; the built-in default when absent. */
  decoders?: DecoderCache;
}): Bridge {
  const { bus, topics, logger, metrics, options } = deps;
  const maxBatch = options.maxBatch ?? 500;
  const inflight = new Inflight(options.maxInflight, (n) => metrics.inflight.set(n));
  const queues = new Map<string, DeviceQueue>();
  const resends = new ResendMemory();
  // prom-client hashes the labels of every inc(): the few (channel, qos) children are looked up once.
  const publishCounters = new Map<string, { inc(): void }>();
  const countPublish = (channel: Channel, qos: number) => {
    const key = `${channel}|${qos}`;
    let child = publishCounters.get(key);
    if (!child) {
      child = metrics.publishes.labels({ channel, qos: String(qos) });
      publishCounters.set(key, child);
    }
    child.inc();
  };
  let available = true;
  let closing = false;
  const logDead = createLogThrottle(10_000);

  const setAvailable = (value: boolean) => {
    if (available === value) return;
    available = value;
    metrics.busAvailable.set(value ? 1 : 0);
    if (value) logger.info('bus reachable again: releasing withheld acknowledgements');
  };

  /** Retries a failing bus until it acknowledges or nobody waits any more; the backoff caps at 2 s. */
  const publishBatch = async (topic: string, messages: OutgoingMessage[], stop: () => boolean): Promise<boolean> => {
    for (let attempt = 1; ; attempt++) {
      const end = metrics.busPublishSeconds.startTimer({ topic });
      try {
        await bus.publish(topic, messages);
        end();
        setAvailable(true);
        return true;
      } catch (err) {
        metrics.busPublishFailures.inc({ topic });
        if (available) logger.warn({ err, topic }, 'bus publish failed: withholding acknowledgements and retrying');
        setAvailable(false);
        if (closing || stop()) return false;
        await sleep(backoffMs(attempt, { baseMs: 100, maxMs: 2_000 }));
        if (closing || stop()) return false;
      }
    }
  };

  const queueFor = (deviceId: string): DeviceQueue => {
    let q = queues.get(deviceId);
    if (!q) {
      const created = new DeviceQueue(publishBatch, maxBatch, () => {
        if (created.idle && queues.get(deviceId) === created) queues.delete(deviceId);
      });
      q = created;
      queues.set(deviceId, q);
    }
    return q;
  };

  return {
    forward(session, publish, callback) {
      const { identity } = session;
      const { messageId } = publish;
      // strictly increasing per session: two readings without ts or id that arrive in the same
      // millisecond with the same bytes still get different arrival ids (never merged, see event-id.ts)
      const arrivalMs = Math.max(Date.now(), (session.lastArrivalMs ?? 0) + 1);
      session.lastArrivalMs = arrivalMs;
      const receivedAt = new Date(arrivalMs);
      const normalized = normalizeMqtt({
        identity,
        topic: publish.topic,
        channel: publish.channel,
        payload: publish.payload,
        receivedAt,
        maxPayloadBytes: options.maxPayloadBytes,
        will: publish.will,
        decoder: deps.decoders?.peek(identity.tenantId, identity.deviceId),
        resolveArrivalId:
          publish.qos > 0 && messageId !== undefined && !publish.will
            ? (eventId, contentHash) =>
                resends.resolve({
                  deviceId: identity.deviceId,
                  messageId,
                  dup: publish.dup === true,
                  contentHash,
                  eventId,
                  now: receivedAt.getTime(),
                })
            : undefined,
        willId: publish.willId,
      });
      if (publish.channel) countPublish(publish.channel, publish.qos);
      if (!normalized.ok) {
        metrics.deadLetters.inc({ reason: normalized.reason });
        metrics.deadLettersByDevice.inc({ device: identity.deviceId });
        // Visible at info, once per device and reason per interval: a looping firmware would flood it.
        if (logDead(`${identity.deviceId}|${normalized.reason}`)) {
          logger.info(
            { deviceId: identity.deviceId, reason: normalized.reason, detail: normalized.detail },
            'dead-lettered (repeats of this device and reason are not logged for 10 s)',
          );
        }
      }
      const acknowledged = publish.qos > 0;
      // A will is published by the broker as the session ends: nobody would resend it.
      const abandonable = acknowledged && !publish.will;
      inflight.add();
      const item = {
        topic: normalized.ok ? topics.raw : topics.dead,
        message: { key: identity.deviceId, value: normalized.value },
        // QoS 0 was accepted when it was called back: it is forwarded even after the session ends.
        isAbandoned: () => closing || (abandonable && session.closed),
        done: (err?: Error) => {
          inflight.remove();
          if (acknowledged) callback(err ?? null);
          else if (err) metrics.qos0Dropped.inc();
        },
      };
      queueFor(identity.deviceId).push(item);
      // QoS 0: not held for the bus, only for the in-flight bound.
      if (!acknowledged) inflight.whenBelowMax(() => callback(null));
    },
    busAvailable: () => available,
    inflight: () => inflight.size,
    async drain(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (inflight.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      closing = true;
    },
  };
}
