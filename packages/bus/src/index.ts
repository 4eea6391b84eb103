import type { BusConfig, BusDeps } from './config.js';
import { createKafkaBus } from './kafka/index.js';
import { createMemoryBus } from './memory/index.js';
import type { Bus } from './port.js';

export { type BusConfig, type BusDeps, type BusLogger, DOWNSTREAM_MAX_LAG } from './config.js';
export { DeadLetterHeaders } from './dead-letter.js';
export { createMemoryBus } from './memory/index.js';
export type * from './port.js';

/**
 * The bus this configuration asks for: Kafka when brokers are given, else the in-process bus.
 * Nothing connects yet except the Kafka producer, which starts connecting in the background.
 */
export function createBus(config: BusConfig, deps: BusDeps = {}): Bus {
  return config.kafkaBrokers.length > 0 ? createKafkaBus(config, deps) : createMemoryBus(config, deps);
}
