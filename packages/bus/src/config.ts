/** What createBus needs; the same for both backends (no backend-only options on the port). */
export interface BusConfig {
  /** Kafka bootstrap brokers (host:port). Empty = the in-process memory bus. */
  kafkaBrokers: string[];
  /** Names this process to Kafka (client id; shows up in broker logs and quotas). */
  clientId: string;
  /** Partition count of the topics ensureTopics creates, unless a TopicSpec says otherwise. */
  partitions: number;
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

/** Messages per handler call when SubscribeOptions.maxBatchSize is not given. */
export const DEFAULT_MAX_BATCH_SIZE = 500;
