import { backoffMs, sleepUnless } from '@telemetry/runtime';
import { type Kafka, type Message, Partitioners, type TopicMessages } from 'kafkajs';
import type { BusLogger } from '../config.js';
import type { OutgoingMessage } from '../port.js';

interface Pending {
  topic: string;
  messages: Message[];
  bytes: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** One produce request carries at most this much (Kafka's default message.max.bytes is ~1 MB). */
const MAX_SEND_BYTES = 512 * 1024;
/** Publishes waiting for Kafka beyond this are refused at once instead of filling the heap. */
const MAX_QUEUED_BYTES = 32 * 1024 * 1024;
/** A send taking longer than this (broker gone, partition leaderless) makes healthy() false. */
const STALL_MS = 10_000;

export interface Publisher {
  publish(topic: string, messages: OutgoingMessage[]): Promise<void>;
  healthy(): boolean;
  close(timeoutMs: number): Promise<void>;
}

/**
 * The idempotent producer (acks=all) behind a single-flight queue: one sendBatch at a time, and
 * every publish arriving meanwhile rides along in the next one. One at a time is not only about
 * batching: kafkajs assigns idempotence sequence numbers before sending, so concurrent sends to a
 * partition can reach the broker out of order and fail (kafkajs#598) even with maxInFlightRequests 1.
 * The queue also keeps publish call order, hence per-key order across calls.
 */
export function createPublisher(options: {
  kafka: Kafka;
  logger: BusLogger;
  topicExists: (topic: string) => Promise<boolean>;
}): Publisher {
  const { kafka, logger } = options;
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    // Unbounded retries are what idempotence needs (kafkajs warns otherwise); a publish waits out
    // a broker outage, retrying at least every 5 s, while healthy() reports the stall.
    retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 100, maxRetryTime: 5_000 },
    // The Java client's murmur2 partitioner (kafkajs 2's default); set explicitly to silence its warning.
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  let connected = false;
  let connecting: Promise<void> | undefined;
  let lastSendFailed = false;
  let sendStartedAt: number | undefined;
  let closed = false;
  let queuedBytes = 0;
  const queue: Pending[] = [];
  const knownTopics = new Set<string>();
  let draining: Promise<void> | undefined;

  producer.on(producer.events.CONNECT, () => {
    connected = true;
  });
  producer.on(producer.events.DISCONNECT, () => {
    connected = false;
  });

  const connect = (): Promise<void> => {
    connecting ??= producer.connect().finally(() => {
      connecting = undefined;
    });
    return connecting;
  };
  // Connect now, and keep trying, so healthy() turns true without waiting for a first publish
  // (a consumer-only service would otherwise report unhealthy until it has something to send).
  void (async () => {
    for (let attempt = 1; !closed && !connected; attempt++) {
      try {
        await connect();
      } catch (err) {
        const log = { err, attempt };
        if (attempt === 1) logger.warn(log, 'bus: Kafka producer not connected yet; retrying');
        else logger.debug(log, 'bus: Kafka producer not connected yet; retrying');
        await sleepUnless(backoffMs(attempt + 1, { baseMs: 250, maxMs: 5_000 }), () => closed);
      }
    }
  })();

  const send = async (batch: Pending[]) => {
    const byTopic = new Map<string, Message[]>();
    for (const p of batch) {
      const list = byTopic.get(p.topic);
      if (!list) byTopic.set(p.topic, [...p.messages]);
      else for (const m of p.messages) list.push(m);
    }
    const topicMessages: TopicMessages[] = [...byTopic].map(([topic, messages]) => ({ topic, messages }));
    if (!connected) await connect();
    sendStartedAt = Date.now();
    try {
      await producer.sendBatch({ topicMessages, acks: -1 });
      lastSendFailed = false;
    } catch (err) {
      lastSendFailed = true;
      throw err;
    } finally {
      sendStartedAt = undefined;
    }
  };

  const take = (): Pending[] => {
    let count = 0;
    let bytes = 0;
    for (const next of queue) {
      if (count > 0 && bytes + next.bytes > MAX_SEND_BYTES) break;
      bytes += next.bytes;
      count++;
    }
    queuedBytes -= bytes;
    return queue.splice(0, count);
  };

  /** Unknown topics fail their own publishes only (a typo must not hang: retries are unbounded). */
  const dropUnknownTopics = async (batch: Pending[]): Promise<Pending[]> => {
    const kept: Pending[] = [];
    for (const p of batch) {
      if (!knownTopics.has(p.topic) && (await options.topicExists(p.topic))) knownTopics.add(p.topic);
      if (knownTopics.has(p.topic)) kept.push(p);
      else p.reject(new Error(`bus: unknown topic "${p.topic}"; create it with ensureTopics() first`));
    }
    return kept;
  };

  const drain = async () => {
    while (queue.length > 0) {
      const batch = take();
      let kept: Pending[];
      try {
        kept = await dropUnknownTopics(batch);
      } catch (err) {
        for (const p of batch) p.reject(err);
        continue;
      }
      if (kept.length === 0) continue;
      try {
        await send(kept);
        for (const p of kept) p.resolve();
      } catch (err) {
        if (kept.length === 1) {
          kept[0]?.reject(err);
          continue;
        }
        // What survives kafkajs's (unbounded, idempotent) retries is about the request itself,
        // e.g. a message too large: send each publish alone so only the culprit fails.
        for (const p of kept) await send([p]).then(p.resolve, p.reject);
      }
    }
  };

  const kick = () => {
    draining ??= drain().finally(() => {
      draining = undefined;
      if (queue.length > 0) kick();
    });
  };

  return {
    publish(topic, messages) {
      if (closed) return Promise.reject(new Error('bus: closed'));
      if (messages.length === 0) return Promise.resolve();
      const converted = messages.map(toKafkaMessage);
      const bytes = converted.reduce((n, m) => n + messageBytes(m), 0);
      if (queuedBytes + bytes > MAX_QUEUED_BYTES) {
        return Promise.reject(new Error('bus: too many publishes waiting for Kafka; retry later'));
      }
      return new Promise<void>((resolve, reject) => {
        queue.push({ topic, messages: converted, bytes, resolve, reject });
        queuedBytes += bytes;
        kick();
      });
    },

    healthy() {
      const stalled = sendStartedAt !== undefined && Date.now() - sendStartedAt > STALL_MS;
      return connected && !lastSendFailed && !stalled;
    },

    async close(timeoutMs) {
      closed = true;
      // Let queued publishes reach Kafka (they were accepted), but do not hang a shutdown on a dead broker.
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((r) => {
        timer = setTimeout(r, timeoutMs);
      });
      await Promise.race([draining ?? Promise.resolve(), timeout]);
      clearTimeout(timer);
      for (const p of queue.splice(0)) p.reject(new Error('bus: closed before the message was sent'));
      await producer.disconnect();
    },
  };
}

function toKafkaMessage(m: OutgoingMessage): Message {
  return { key: m.key, value: m.value, headers: m.headers };
}

function messageBytes(m: Message): number {
  const size = (v: unknown) => (typeof v === 'string' ? Buffer.byteLength(v) : Buffer.isBuffer(v) ? v.length : 0);
  let n = size(m.key) + size(m.value) + 16;
  for (const [k, v] of Object.entries(m.headers ?? {})) n += k.length + size(v);
  return n;
}
