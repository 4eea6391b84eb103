/**
 * The Bus port: topics with keyed messages, consumer groups, batch handlers and
 * commit-after-processing. Two backends implement it (kafka/, memory/); both pass
 * the one contract suite in test/contract.ts.
 */

/** A message as a producer hands it to the bus. */
export interface OutgoingMessage {
  /** Partitioning key: messages with the same key keep their order (device id for telemetry). */
  key: string;
  value: Buffer | string;
  headers?: Record<string, string>;
}

/** A message as a consumer receives it. */
export interface IncomingMessage {
  topic: string;
  partition: number;
  /** Monotonic per partition, as a decimal string (Kafka offsets exceed 2^53 in theory). */
  offset: string;
  key: string;
  value: Buffer;
  headers: Record<string, string>;
  /** Broker/append time in ms since epoch. */
  timestamp: number;
}

/** One batch: messages of ONE topic-partition, in order. */
export interface Batch {
  topic: string;
  partition: number;
  messages: IncomingMessage[];
}

/**
 * Processes a batch. Resolve = every message is done and the offsets may be committed.
 * Throw = nothing is committed; the batch (or its uncommitted tail) is delivered again.
 * Handlers must be idempotent: delivery is at-least-once.
 * Batches of different partitions may be handled concurrently; one partition's never overlap.
 */
export type BatchHandler = (batch: Batch) => Promise<void>;

export interface SubscribeOptions {
  groupId: string;
  topics: string[];
  handler: BatchHandler;
  /** Upper bound on messages per handler call. */
  maxBatchSize?: number;
  /** Where a group with no committed offset starts. Default: earliest. */
  fromBeginning?: boolean;
  /**
   * Durable groups are the ones a memory-bus publish waits for (e.g. "store").
   * Kafka ignores it: there acks=all is the durability point. Default: true.
   */
  durable?: boolean;
  /**
   * Memory bus only (Kafka ignores it, as `durable`): how many messages of a partition this
   * durable group may have uncommitted before a publish waits for it. 0 (default): a publish
   * resolves once the group committed it ("store" on telemetry.raw.v1: a PUBACK means stored).
   * A consumer of another consumer's output sets a bound instead, so a PUBACK does not wait
   * for every group downstream (#23) while the backlog, and so memory, stays bounded; what it
   * has not committed is still held for it.
   */
  maxLag?: number;
  /**
   * Where a message goes that failed for good: a failure `isRetriable` says no to is not
   * redelivered but published to `topic` (the original bytes, the reason in headers; see
   * dead-letter.ts) and committed. Absent: every failure redelivers.
   */
  deadLetter?: { topic: string; isRetriable: (err: unknown) => boolean };
}

export interface Subscription {
  groupId: string;
  /** Resolves once this member has joined its group and holds its partitions. */
  ready: Promise<void>;
  /** Stop consuming after the in-flight batch; commits what was processed. */
  close(): Promise<void>;
}

export interface TopicSpec {
  name: string;
  partitions?: number;
}

export interface Bus {
  readonly kind: 'kafka' | 'memory';
  /** Create topics that do not exist yet (with the configured partition count). */
  ensureTopics(topics: TopicSpec[]): Promise<void>;
  /**
   * Durable append. Kafka: resolves when acks=all confirmed. Memory: resolves when every
   * durable consumer group subscribed to the topic has processed (committed) the messages.
   * Both reject for a topic that ensureTopics did not create (the broker does not auto-create).
   */
  publish(topic: string, messages: OutgoingMessage[]): Promise<void>;
  subscribe(options: SubscribeOptions): Promise<Subscription>;
  /** True while the backend can accept publishes (Kafka reachable). */
  healthy(): boolean;
  /** Close producers and every subscription. */
  close(): Promise<void>;
}
