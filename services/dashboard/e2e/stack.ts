import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDashboardBuilt } from '../index.js';

/** What services/stack's startStack answers (services/stack/src/index.ts). */
export interface RunningStack {
  urls: { http: string; mqtt: string };
  admin: { username: string; password: string } | null;
  /** The stack's store: for seeding fixtures too large for the API (10,000 devices) in one statement. */
  pool: { query(sql: string, params?: unknown[]): Promise<{ rows: unknown[] }> };
  close(): Promise<void>;
}

type StartStack = (opts: { env: Record<string, string | undefined> }) => Promise<RunningStack>;

/**
 * The whole product in this process: embedded engines (PGlite TimescaleDB, in-process bus), every
 * service, the api serving the freshly built dashboard. Ephemeral ports and data dir; no
 * simulator (the tests drive their own device).
 */
export async function startTestStack(): Promise<RunningStack & { dataDir: string }> {
  await ensureDashboardBuilt();
  const dataDir = await mkdtemp(join(tmpdir(), 'dashboard-e2e-data-'));
  // a path the compiler does not follow: the e2e tests type-check without the stack's sources.
  // E2E_STACK_ENTRY runs them against another composition with the same startStack().
  const entry = process.env.E2E_STACK_ENTRY ?? new URL('../../stack/src/index.ts', import.meta.url).href;
  const { startStack } = (await import(entry)) as { startStack: StartStack };
  const stack = await startStack({
    env: {
      NODE_ENV: 'test',
      LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'warn',
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: '0',
      MQTT_HOST: '127.0.0.1',
      MQTT_PORT: '0',
      MQTT_WS_PORT: '0',
      REALTIME_PORT: '0',
      METRICS_PORT: '0',
      STORE_PORT: '0',
      DATA_DIR: dataDir,
      SIMULATE: 'false',
      // the stack's engines are embedded: no KAFKA_BROKERS / DATABASE_URL / REDIS_URL / SMTP_URL
      KAFKA_BROKERS: '',
      DATABASE_URL: undefined,
      REDIS_URL: undefined,
      SMTP_URL: undefined,
      OFFLINE_CHECK_INTERVAL: '2s',
      REALTIME_MAX_UPDATES_PER_SEC: '20',
      // several people sign in from 127.0.0.1 within a minute; the limit has its own tests
      API_LOGIN_RATE_PER_MIN: '600',
    },
  });
  return {
    ...stack,
    dataDir,
    async close() {
      await stack.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
