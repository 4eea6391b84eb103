import { createStore, IN_MEMORY, type Store } from '@telemetry/store';
import pg from 'pg';
import { uniqueName } from './ids.js';

export interface TestStore {
  store: Store;
  /** Where the store is served; for the embedded one do not open a second pool on it (one PGlite session). */
  url: string;
  /** Closes the store; on PostgreSQL also drops the test's database. */
  drop(): Promise<void>;
}

export interface TestStoreOptions {
  /** Apply packages/store/migrations. Default: true. */
  migrate?: boolean;
  /** Another migrations folder (fixtures). */
  migrationsDir?: string;
}

const DEFAULT_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * A store of the test's own. Embedded: a fresh in-memory PGlite+TimescaleDB in this process
 * (~2 s; create it once per test file, in beforeAll). Postgres: a fresh database on the
 * machine's server (TEST_POSTGRES_URL), dropped by drop(). A missing engine throws: a test
 * that cannot reach its engine fails, it does not skip.
 */
export async function createTestStore(
  backend: 'embedded' | 'postgres',
  options: TestStoreOptions = {},
): Promise<TestStore> {
  const test = backend === 'embedded' ? await embeddedStore(options) : await postgresStore(options);
  if (options.migrate ?? true) {
    try {
      await test.store.migrate();
    } catch (err) {
      await test.drop().catch(() => undefined);
      throw err;
    }
  }
  return test;
}

async function embeddedStore(options: TestStoreOptions): Promise<TestStore> {
  const store = await createStore(
    { dataDir: IN_MEMORY, port: 0, poolSize: 1 },
    { applicationName: 'test', migrationsDir: options.migrationsDir },
  );
  return { store, url: embeddedUrl(store), drop: () => store.close() };
}

async function postgresStore(options: TestStoreOptions): Promise<TestStore> {
  const adminUrl = process.env.TEST_POSTGRES_URL || DEFAULT_POSTGRES_URL;
  const name = uniqueName('test');
  await admin(adminUrl, `CREATE DATABASE "${name}"`);
  const url = withDatabase(adminUrl, name);
  const dropDatabase = () => admin(adminUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  let store: Store;
  try {
    store = await createStore(
      { databaseUrl: url, dataDir: IN_MEMORY, port: 0, poolSize: 4 },
      { applicationName: 'test', migrationsDir: options.migrationsDir },
    );
  } catch (err) {
    await dropDatabase().catch(() => undefined);
    throw err;
  }
  return {
    store,
    url,
    drop: async () => {
      await store.close();
      await dropDatabase();
    },
  };
}

/** One statement on the server's maintenance database (CREATE/DROP DATABASE cannot run in a pool transaction). */
async function admin(adminUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl, application_name: 'test-admin' });
  try {
    await client.connect();
  } catch (err) {
    throw new Error(
      `PostgreSQL not reachable at ${redact(adminUrl)}: start it or set TEST_POSTGRES_URL (${(err as Error).message})`,
      { cause: err },
    );
  }
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** The embedded store has no URL another client could use (in-process only): a label for messages. */
function embeddedUrl(_store: Store): string {
  return 'embedded://in-process';
}

function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}
