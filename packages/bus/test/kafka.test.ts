import { kafkaBrokers } from '@telemetry/testing';
import { createBus } from '../src/index.js';
import { busContract } from './contract.js';

// A real broker (the global setup's, or KAFKA_BROKERS). No broker is a failure, not a skip.
busContract('kafka', () => {
  const bus = createBus({ kafkaBrokers: kafkaBrokers(), clientId: 'bus-contract', partitions: 4 });
  if (bus.kind !== 'kafka') throw new Error('expected the Kafka bus');
  return bus;
});
