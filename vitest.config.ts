import { defineConfig } from 'vitest/config';

// One run for the whole workspace. Engines are started once by the global setups, and only
// for a project with a test queued: Kafka (from infra/kafka when KAFKA_BROKERS is unset) for
// the unit and integration files, one whole stack for the dashboard's e2e files
// (services/dashboard/e2e/global-setup.ts). Tests isolate by name (own topics, own database,
// own tenant), never by starting an engine per test.
const E2E = 'services/dashboard/e2e/*.e2e.test.ts';

export default defineConfig({
  test: {
    exclude: ['**/node_modules/**'],
    pool: 'forks',
    // 2 cores: more parallel files only fight over CPU with Kafka and PGlite.
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    testTimeout: 60_000,
    hookTimeout: 120_000,
    teardownTimeout: 60_000,
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: [
            'packages/*/src/**/*.test.ts',
            'packages/*/test/**/*.test.ts',
            'services/*/src/**/*.test.ts',
            'services/*/test/**/*.test.ts',
            'simulator/src/**/*.test.ts',
            'simulator/test/**/*.test.ts',
            'bench/src/**/*.test.ts',
          ],
          globalSetup: ['./packages/testing/src/global-setup.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: [E2E],
          globalSetup: ['./services/dashboard/e2e/global-setup.ts'],
        },
      },
    ],
  },
});
