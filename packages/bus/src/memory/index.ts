import { type BusConfig, type BusDeps, DEFAULT_MAX_BATCH_SIZE, silentLogger } from '../config.js';
import { withDeadLetters } from '../dead-letter.js';
import type { Bus, OutgoingMessage, SubscribeOptions, Subscription, TopicSpec } from '../port.js';
import { ConsumerGroup, type GroupHost, type Member } from './group.js';
import { Signal } from './log.js';
import { MemoryTopic } from './topic.js';

/**
 * The in-process bus: Kafka's model (partitions, offsets, consumer groups, commit after processing)
 * without a broker. Its durability point is the consumer: publish resolves once every durable group
 * subscribed to the topic has committed the messages, so an acknowledged message has been stored.
 */
export function createMemoryBus(config: Pick<BusConfig, 'partitions'>, deps: BusDeps = {}): Bus {
  const logger = deps.logger ?? silentLogger;
  const topics = new Map<string, MemoryTopic>();
  const groups = new Map<string, ConsumerGroup>();
  const subscriptions = new Set<Subscription>();
  const shutdown = new Signal();
  let closed = false;

  const groupsReading = (topic: string) => [...groups.values()].filter((g) => g.topics.has(topic));

  const topicOf = (name: string): MemoryTopic => {
    const topic = topics.get(name);
    // Strict like our Kafka (auto.create.topics.enable=false): a typo fails here, not in production.
    if (!topic) throw new Error(`bus: unknown topic "${name}"; create it with ensureTopics() first`);
    return topic;
  };

  const host: GroupHost = {
    topic: topicOf,
    get closed() {
      return closed;
    },
    shutdown,
    logger,
  };

  const assertOpen = () => {
    if (closed) throw new Error('bus: closed');
  };

  const bus: Bus = {
    kind: 'memory',

    async ensureTopics(specs: TopicSpec[]) {
      assertOpen();
      for (const spec of specs) {
        if (topics.has(spec.name)) continue;
        const partitions = spec.partitions ?? config.partitions;
        topics.set(spec.name, new MemoryTopic(spec.name, partitions, () => groupsReading(spec.name)));
      }
    },

    async publish(name: string, messages: OutgoingMessage[]) {
      assertOpen();
      const topic = topicOf(name);
      if (messages.length === 0) return;
      // The groups to wait for are the durable ones known NOW; one subscribing later starts from
      // its own position and does not hold up publishes that were made before it existed.
      const durable = groupsReading(name).filter((g) => g.durable);
      const last = topic.append(messages);
      if (durable.length === 0) return;
      await Promise.all([...last].map(([p, offset]) => topic.committedBy(p, offset, durable)));
    },

    async subscribe(options: SubscribeOptions): Promise<Subscription> {
      assertOpen();
      for (const name of options.topics) topicOf(name);
      let group = groups.get(options.groupId);
      if (!group) {
        group = new ConsumerGroup(options.groupId, host);
        groups.set(options.groupId, group);
      }
      const member: Member = {
        topics: [...options.topics],
        handler: withDeadLetters(options, (topic, messages) => bus.publish(topic, messages), logger),
        maxBatchSize: Math.max(1, options.maxBatchSize ?? DEFAULT_MAX_BATCH_SIZE),
        closing: false,
        inflight: 0,
        idle: new Signal(),
      };
      group.join(member, {
        durable: options.durable ?? true,
        fromBeginning: options.fromBeginning ?? true,
        maxLag: Math.max(0, Math.floor(options.maxLag ?? 0)),
      });
      const joined = group;
      let closing: Promise<void> | undefined;
      const subscription: Subscription = {
        groupId: options.groupId,
        ready: Promise.resolve(),
        close: () => {
          closing ??= joined.leave(member).finally(() => subscriptions.delete(subscription));
          return closing;
        },
      };
      subscriptions.add(subscription);
      return subscription;
    },

    healthy: () => true,

    async close() {
      if (closed) return;
      // Members finish their in-flight batches (and commit them) before the loops are stopped.
      await Promise.all([...subscriptions].map((s) => s.close()));
      closed = true;
      shutdown.notify();
      const err = new Error('bus: closed before the message was consumed by every durable group');
      for (const topic of topics.values()) topic.rejectAll(err);
    },
  };
  return bus;
}
