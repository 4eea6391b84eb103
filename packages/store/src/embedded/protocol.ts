import type { SqlAccess, SqlAccessEvent, SqlAccessOptions } from './sql-access.js';

/** PGlite's own spelling of "no directory": data lives in memory and dies with the process. */
export const IN_MEMORY = 'memory://';

/**
 * The messages between the stack's thread and the database worker (worker.ts).
 *
 * Why a worker: PGlite is WebAssembly that runs synchronously for the whole of each statement;
 * on the main thread every query stopped MQTT, the bus, the pipeline and the API for its
 * duration, and the process never used a second core (#23). The worker owns PGlite, its one
 * session and the read-only SQL access; the main thread only moves protocol bytes.
 */
export interface WorkerOptions {
  dataDir?: string;
  sql?: Omit<SqlAccessOptions, 'dir' | 'onEvent'> & { dir?: string };
}

/** Main thread → worker. `id` pairs a request with its reply. */
export type ToWorker =
  | { op: 'write'; id: number; conn: number; bytes: Uint8Array }
  | { op: 'reset'; id: number; conn: number }
  | { op: 'close-sql'; id: number }
  | { op: 'close'; id: number };

/** The SQL access as the main thread sees it: where it listens (its close is a request). */
export type SqlAccessInfo = Omit<SqlAccess, 'close'>;

/** Worker → main thread. */
export type FromWorker =
  | { op: 'ready'; sql?: SqlAccessInfo }
  | { op: 'failed'; message: string; stack?: string }
  /** The reply to request `id`: for a write, every backend byte its frames produced, and whether the client said Terminate. */
  | { op: 'reply'; id: number; error?: string; bytes?: Uint8Array; end?: boolean }
  | { op: 'event'; event: SqlAccessEvent };
