import { backoffMs, sleep } from '@telemetry/runtime';
import type { Admin } from 'kafkajs';
import { type BusConfig, type BusDeps, silentLogger } from '../config.js';
import { withDeadLetters } from '../dead-letter.js';
import type { Bus, SubscribeOptions, Subscription, TopicSpec } from '../port.js';
import { createKafkaClient } from './client.js';
import { createPublisher } from './publisher.js';
import { subscribeKafka } from './subscriber.js';

/** Queued publishes get this long to reach Kafka on close() before they are failed. */
const CLOSE_FLUSH_MS = 5_000;
/** Tries of ensureTopics on errors the broker says are retriable (leader elections). */
const ENSURE_TOPICS_ATTEMPTS = 6;
/** Partitions of one member handled at once (a fetch returns several; each still runs in order). */
const MAX_PARTITIONS_CONCURRENTLY = 8;

/**
 * The Kafka bus (kafkajs): idempotent producer with acks=all, topics created by ensureTopics (the
 * broker does not auto-create them), consumer groups that commit after the handler resolves.
 */
export function createKafkaBus(config: BusConfig, deps: BusDeps = {}): Bus {
  const logger = deps.logger ?? silentLogger;
  const kafka = createKafkaClient(config, deps.logger);
  const subscriptions = new Set<Subscription>();
  let closed = false;

  let admin: Promise<Admin> | undefined;
  const getAdmin = (): Promise<Admin> => {
    admin ??= (async () => {
      const a = kafka.admin();
      await a.connect();
      return a;
    })().catch((err) => {
      admin = undefined; // try again on the next call
      throw err;
    });
    return admin;
  };
  const listTopics = async () => new Set(await (await getAdmin()).listTopics());

  const publisher = createPublisher({
    kafka,
    logger,
    topicExists: async (topic) => (await listTopics()).has(topic),
  });

  const assertOpen = () => {
    if (closed) throw new Error('bus: closed');
  };

  return {
    kind: 'kafka',

    async ensureTopics(specs: TopicSpec[]) {
      assertOpen();
      const existing = await listTopics();
      const missing = specs.filter((s) => !existing.has(s.name));
      if (missing.length === 0) return;
      const topics = missing.map((s) => ({
        topic: s.name,
        numPartitions: s.partitions ?? config.partitions,
        // -1: the broker's default.replication.factor
        replicationFactor: config.replicationFactor ?? -1,
        configEntries:
          config.minInsyncReplicas !== undefined
            ? [{ name: 'min.insync.replicas', value: String(config.minInsyncReplicas) }]
            : [],
      }));
      for (let attempt = 1; ; attempt++) {
        try {
          await (await getAdmin()).createTopics({ topics, waitForLeaders: true });
          return;
        } catch (err) {
          // Another process may have created some of them in the meantime; only a real miss is an error.
          const now = await listTopics();
          if (missing.every((s) => now.has(s.name))) return;
          // A broker busy electing the new partitions' leaders answers "does not host this
          // topic-partition" for a moment (seen at start under load): that passes, give it a few tries.
          const retriable = (err as { retriable?: boolean }).retriable === true;
          if (!retriable || attempt >= ENSURE_TOPICS_ATTEMPTS) throw err;
          logger.warn({ err, attempt }, 'bus: creating topics failed for now; trying again');
          await sleep(backoffMs(attempt, { baseMs: 250, maxMs: 4_000 }));
        }
      }
    },

    publish(topic, messages) {
      return publisher.publish(topic, messages);
    },

    async subscribe(options: SubscribeOptions) {
      assertOpen();
      const existing = await listTopics();
      const unknown = options.topics.filter((t) => !existing.has(t));
      // Without this kafkajs would retry metadata for an absent topic for many seconds, then crash.
      if (unknown.length > 0) {
        throw new Error(`bus: unknown topic(s) ${unknown.join(', ')}; create them with ensureTopics() first`);
      }
      const concurrency = Math.max(1, Math.min(config.partitions, MAX_PARTITIONS_CONCURRENTLY));
      const handler = withDeadLetters(options, (topic, messages) => publisher.publish(topic, messages), logger);
      const subscription = await subscribeKafka(kafka, { ...options, handler }, { logger, concurrency });
      const tracked: Subscription = {
        ...subscription,
        close: () => subscription.close().finally(() => subscriptions.delete(tracked)),
      };
      subscriptions.add(tracked);
      return tracked;
    },

    healthy: () => !closed && publisher.healthy(),

    async close() {
      if (closed) return;
      closed = true;
      // Consumers first: they commit what they processed, and may still publish while finishing.
      await Promise.all([...subscriptions].map((s) => s.close()));
      await publisher.close(CLOSE_FLUSH_MS);
      if (admin) await (await admin.catch(() => undefined))?.disconnect();
    },
  };
}
