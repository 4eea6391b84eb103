/** What createBus needs; the same for both backends (no backend-only options on the port). */
export interface BusConfig {
  /** Kafka bootstrap brokers (host:port). Empty = the in-process memory bus. */
  kafkaBrokers: string[];
  /** Names this process to Kafka (client id; shows up in broker logs and quotas). */
  clientId: string;
  /** Partition count of the topics ensureTopics creates, unless a TopicSpec says otherwise. */
  partitions: number;
  /**
   * Replication factor of the topics ensureTopics creates (KAFKA_REPLICATION_FACTOR). Default: the
   * broker's default.replication.factor. Three brokers in production: 3.
   */
  replicationFactor?: number;
  /**
   * min.insync.replicas of the topics ensureTopics creates (KAFKA_MIN_INSYNC_REPLICAS): with acks=all
   * a publish is acknowledged only once this many replicas have it, so an acknowledged message
   * survives the loss of all but one of them. Default: the broker's setting.
   */
  minInsyncReplicas?: number;
}

type LogFn = (obj: Record<string, unknown>, msg?: string) => void;

/** The subset of a pino logger the bus uses; a pino Logger fits as is. */
export interface BusLogger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
}

export interface BusDeps {
  /** Where the bus (and kafkajs) log. Default: silent. */
  logger?: BusLogger;
}

const noop: LogFn = () => undefined;
export const silentLogger: BusLogger = { debug: noop, info: noop, warn: noop, error: noop };

/**
 * SubscribeOptions.maxLag of the groups that consume another consumer's output (rules, notifier,
 * rejections): the publisher (a pipeline batch, and so a device's PUBACK) does not wait for them
 * until one lags this far on a partition. Memory bus only.
 */
export const DOWNSTREAM_MAX_LAG = 10_000;

/** Messages per handler call when SubscribeOptions.maxBatchSize is not given. */
export const DEFAULT_MAX_BATCH_SIZE = 500;
