import { inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Bootstrap brokers of the Kafka the global setup started (or found in KAFKA_BROKERS). */
    kafkaBrokers: string[];
  }
}

/**
 * The Kafka brokers for this test run. Throws when there are none: in CI a missing engine must
 * fail the Kafka tests, never skip them.
 */
export function kafkaBrokers(): string[] {
  let provided: string[] | undefined;
  try {
    provided = inject('kafkaBrokers');
  } catch {
    // Not inside a vitest worker (a script importing this): fall back to the environment.
  }
  const brokers = provided?.length ? provided : parseBrokers(process.env.KAFKA_BROKERS);
  if (brokers.length === 0) {
    throw new Error(
      'No Kafka for this test: the vitest global setup (packages/testing/src/global-setup.ts) starts one ' +
        'from infra/kafka (needs Java 17+), or set KAFKA_BROKERS=host:port to use a running broker.',
    );
  }
  return brokers;
}

export function parseBrokers(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
}
