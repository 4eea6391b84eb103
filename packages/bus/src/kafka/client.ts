import { Kafka, type LogEntry, logLevel } from 'kafkajs';
import type { BusConfig, BusLogger } from '../config.js';

/**
 * The kafkajs client. Its logs go to our logger (warnings and errors only: kafkajs's INFO is a
 * line per join, fetch loop start and stop) and never to the console; without a logger it is silent.
 */
export function createKafkaClient(config: BusConfig, logger: BusLogger | undefined): Kafka {
  return new Kafka({
    clientId: config.clientId,
    brokers: config.kafkaBrokers,
    // Fail a dead broker address fast; kafkajs's retrier (with backoff) takes it from there.
    connectionTimeout: 3_000,
    retry: { initialRetryTime: 100, maxRetryTime: 5_000, retries: 8 },
    logLevel: logger ? logLevel.WARN : logLevel.NOTHING,
    logCreator: () => (entry: LogEntry) => {
      if (!logger) return;
      const { message, timestamp: _ts, ...extra } = entry.log;
      const obj = { ...extra, kafkajs: entry.namespace };
      // Connection failures are retried (and surface as healthy() === false): warnings, not errors,
      // or an outage of a minute floods the error log with two lines per retry.
      const transient = entry.namespace === 'Connection' || entry.namespace === 'BrokerPool';
      if (entry.level === logLevel.ERROR && !transient) logger.error(obj, message);
      else if (entry.level <= logLevel.WARN) logger.warn(obj, message);
      else if (entry.level === logLevel.INFO) logger.info(obj, message);
      else logger.debug(obj, message);
    },
  });
}
