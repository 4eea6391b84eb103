import { defineConfig } from 'vitest/config';

// One run for the whole workspace. Engines are started once by the global setup
// (Kafka from infra/kafka when KAFKA_BROKERS is unset); tests isolate by name
// (own topics, own database), never by starting an engine per test.
export default defineConfig({
  test: {
    include: [
      'packages/*/src/**/*.test.ts',
      'packages/*/test/**/*.test.ts',
      'services/*/src/**/*.test.ts',
      'services/*/test/**/*.test.ts',
      'simulator/src/**/*.test.ts',
      'simulator/test/**/*.test.ts',
      'bench/src/**/*.test.ts',
      'services/dashboard/e2e/*.e2e.test.ts',
    ],
    exclude: ['**/node_modules/**'],
    globalSetup: ['./packages/testing/src/global-setup.ts'],
    pool: 'forks',
    // 2 cores: more parallel files only fight over CPU with Kafka and PGlite.
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    testTimeout: 60_000,
    hookTimeout: 120_000,
    teardownTimeout: 60_000,
    reporters: ['default'],
  },
});
