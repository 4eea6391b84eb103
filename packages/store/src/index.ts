import type pg from 'pg';
import { type Capabilities, detectCapabilities } from './capabilities.js';
import { type EmbeddedStore, type SqlAccess, type SqlAccessEvent, startEmbeddedStore } from './embedded/index.js';
import { runMigrations } from './migrate.js';
import { createPool } from './pool.js';
import { withTransaction } from './transaction.js';

export {
  type AlertRow,
  alertColumns,
  type RowChange,
  type TaskRow,
  taskColumns,
  toAlertV1,
  toTaskV1,
} from './alerts-tasks.js';
export type { Capabilities } from './capabilities.js';
export { detectCapabilities } from './capabilities.js';
export {
  type EmbeddedStore,
  type EmbeddedStoreOptions,
  IN_MEMORY,
  type SqlAccess,
  type SqlAccessEvent,
  startEmbeddedStore,
} from './embedded/index.js';
export { isDbUnavailable, isRetriableDbError } from './errors.js';
export { DEFAULT_MIGRATIONS_DIR, type MigrateOptions, runMigrations } from './migrate.js';
export {
  type Emit,
  insertOutbox,
  type OutboxBus,
  type OutboxMessage,
  publishStored,
  RELAY_SAFETY_INTERVAL_MS,
  relayOutbox,
  relayTick,
  type StoredMessage,
  withOutbox,
} from './outbox.js';
export { createPool, type PoolOptions } from './pool.js';
export { MAX_PARAMETERS, maxRowsPerStatement, valuesList } from './sql.js';
export { inTransaction, withClient, withTransaction } from './transaction.js';

export interface StoreConfig {
  /** A PostgreSQL/TimescaleDB server. Absent: the embedded store is started in this process. */
  databaseUrl?: string;
  /** Embedded only: where its data lives (created when missing); `memory://` keeps it in memory. */
  dataDir: string;
  /**
   * Embedded only: open the read-only SQL access for a person (STORE_SQL): a Unix socket in the
   * data directory and TCP 127.0.0.1:`port` (0 = a free one), password in the data directory.
   * Off: nothing listens, the stack reaches its database in-process only.
   */
  sqlAccess?: boolean;
  /** Embedded only: the SQL access's TCP port, 0 = a free one. */
  port: number;
  /** Server only: connections in the pool. The embedded store always gets one (one PGlite session). */
  poolSize: number;
  /**
   * Server only: statement_timeout of every connection in ms (0 = none), so no query holds a
   * connection for long. PGlite ignores it (no timers inside its WASM loop: measured, pg_sleep(3)
   * runs its 3 s under statement_timeout=500); there the bounds are checked before the query runs.
   */
  statementTimeoutMs?: number;
}

export interface StoreDeps {
  /** Shown in pg_stat_activity, e.g. the service name. */
  applicationName?: string;
  /** An idle pooled connection failed (pg drops it and reconnects on next use); for logging. */
  onPoolError?: (err: Error) => void;
  /** Default: packages/store/migrations. */
  migrationsDir?: string;
  /** Logins and refusals at the embedded SQL access, for the log. */
  onSqlAccessEvent?: (event: SqlAccessEvent) => void;
}

/** The store port: a pg pool on the embedded PGlite+TimescaleDB or on a real server. */
export interface Store {
  pool: pg.Pool;
  capabilities: Capabilities;
  kind: 'embedded' | 'postgres';
  /** The embedded store's read-only SQL access, when STORE_SQL opened it. */
  sqlAccess?: SqlAccess;
  /** Applies pending migrations; returns the names applied. Safe to call from every replica. */
  migrate(): Promise<string[]>;
  /** BEGIN … COMMIT on one client; ROLLBACK and rethrow when fn throws; the client is always released. */
  withTransaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T>;
  /** Ends the pool, then stops the embedded store if there is one. */
  close(): Promise<void>;
}

export async function createStore(config: StoreConfig, deps: StoreDeps = {}): Promise<Store> {
  let embedded: EmbeddedStore | undefined;
  let url: string;
  if (config.databaseUrl) {
    url = config.databaseUrl;
  } else {
    embedded = await startEmbeddedStore({
      dataDir: config.dataDir,
      sql: config.sqlAccess ? { port: config.port, onEvent: deps.onSqlAccessEvent } : undefined,
    });
    url = EMBEDDED_URL;
  }
  const pool = createPool({
    url,
    max: config.poolSize,
    embedded: embedded !== undefined,
    stream: embedded?.connect,
    applicationName: deps.applicationName,
    onError: deps.onPoolError,
    statementTimeoutMs: embedded ? undefined : config.statementTimeoutMs,
  });
  const close = async () => {
    try {
      await pool.end(); // before the embedded server stops, so no socket is cut mid-query
    } finally {
      await embedded?.close();
    }
  };

  let capabilities: Capabilities;
  try {
    capabilities = await detectCapabilities(pool);
  } catch (err) {
    await close().catch(() => undefined);
    throw new Error(`store: cannot use the database at ${redact(url)}: ${(err as Error).message}`, { cause: err });
  }

  let closing: Promise<void> | undefined;
  return {
    pool,
    capabilities,
    kind: embedded ? 'embedded' : 'postgres',
    sqlAccess: embedded?.sql,
    migrate: () => runMigrations(pool, { dir: deps.migrationsDir, timescale: capabilities.timescale }),
    withTransaction: (fn) => withTransaction(pool, fn),
    close: () => {
      closing ??= close();
      return closing;
    },
  };
}

/** What pg is given for the embedded store: its connections are in-process streams, the host is a label. */
const EMBEDDED_URL = 'postgres://postgres@embedded/postgres';

/** The URL without its password, for error messages and logs. */
function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable database URL)';
  }
}
