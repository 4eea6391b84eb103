import type { Duplex } from 'node:stream';
import pg from 'pg';

export interface PoolOptions {
  url: string;
  /** Upper bound on connections; forced to 1 when `embedded`. */
  max: number;
  /**
   * PGlite is ONE postgres session shared by every socket: a second connection would share
   * search_path, temp tables and prepared statements and interleave its transactions.
   */
  embedded: boolean;
  /** The embedded store: a new in-process connection per pg client instead of a socket. */
  stream?: () => Duplex;
  /** Shown in pg_stat_activity (ignored by PGlite, which has no startup parameters). */
  applicationName?: string;
  /**
   * An idle client lost its connection (server restart, network). pg has already dropped it
   * and the next query reconnects, so this is for logging. Without a listener pg.Pool's
   * 'error' event would crash the process.
   */
  onError?: (err: Error) => void;
  /** statement_timeout in ms as a startup parameter (0/absent = none). Not honoured by PGlite. */
  statementTimeoutMs?: number;
}

const INT8_OID = 20;

/**
 * Type parsing: pg's defaults (timestamptz → Date, numeric → string so no precision is lost)
 * except int8. `count(*)`, `sum(int)` of counters and bigserial ids are int8, and pg returns
 * them as strings, which every caller would then have to convert. Here they are numbers;
 * a value beyond 2^53 fails the query (RangeError) rather than silently losing digits.
 * The override is per pool: pg.types is global and other code may rely on its defaults.
 */
function createTypes(): pg.CustomTypesConfig {
  const types = new pg.TypeOverrides();
  types.setTypeParser(INT8_OID, parseInt8);
  return types;
}

export function parseInt8(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) {
    throw new RangeError(`int8 value ${text} exceeds Number.MAX_SAFE_INTEGER: cast it to text or numeric in SQL`);
  }
  return value;
}

/** A pg.Pool for the store; one connection when the server is the embedded PGlite. */
export function createPool(options: PoolOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.embedded ? 1 : Math.max(1, options.max),
    application_name: options.applicationName ?? 'telemetry',
    types: createTypes(),
    ...(options.stream ? { stream: options.stream } : {}),
    // The embedded store's one connection lives as long as the store: no idle churn.
    idleTimeoutMillis: options.embedded ? 0 : 10_000,
    ...(options.statementTimeoutMs ? { statement_timeout: options.statementTimeoutMs } : {}),
    // A dead server must not make pool.connect() wait forever (the OS connect timeout is minutes).
    // The embedded store has no network: a dead worker fails the connection at once; a live one
    // on a loaded machine may take seconds for its first startup after an unclean stop (#23).
    connectionTimeoutMillis: options.embedded ? 60_000 : 5_000,
  });
  pool.on('error', (err) => options.onError?.(err));
  return pool;
}
