import type { Duplex } from 'node:stream';
import { Worker } from 'node:worker_threads';
import type { FromWorker, SqlAccessInfo, ToWorker, WorkerOptions } from './protocol.js';
import type { SqlAccess, SqlAccessOptions } from './sql-access.js';
import { WorkerSocket } from './worker-socket.js';
import { workerUrl } from './worker-url.js';

export { IN_MEMORY } from './protocol.js';
export type { SqlAccess, SqlAccessEvent, SqlAccessOptions } from './sql-access.js';

export interface EmbeddedStoreOptions {
  /** Where the database lives; created when missing. Absent or `memory://`: in memory (tests). */
  dataDir?: string;
  /**
   * Opt-in read-only SQL for a person (psql, `pnpm sql`): a password-checked Unix socket and/or
   * TCP port. Absent: nothing listens; the stack reaches the database in-process only.
   */
  sql?: Omit<SqlAccessOptions, 'dir'> & { dir?: string };
}

export interface EmbeddedStore {
  /** A new connection for `pg` (its `stream` option): in-process, no network involved. */
  connect(): Duplex;
  /** The read-only SQL access, when it was asked for. */
  sql?: SqlAccess;
  /** Stops the SQL access, then closes the database so a restart finds the data intact. */
  close(): Promise<void>;
}

/** Closing flushes PGlite to disk; past this the thread is stopped anyway (the stack's stop is bounded, #16). */
const CLOSE_BOUND_MS = 6_000;

/**
 * Starts PGlite + TimescaleDB for this process in a worker thread (and, opt-in, a read-only SQL
 * door, served from that thread too). The stack's thread keeps MQTT, the bus and the API; the
 * database's WebAssembly runs on another core (#23). Still one session: see session.ts.
 */
export async function startEmbeddedStore(options: EmbeddedStoreOptions = {}): Promise<EmbeddedStore> {
  const { onEvent, ...sql } = options.sql ?? {};
  const workerOptions: WorkerOptions = { dataDir: options.dataDir, sql: options.sql ? sql : undefined };
  const worker = new Worker(workerUrl, { workerData: workerOptions });
  const pending = new Map<number, { resolve: (m: FromWorker & { op: 'reply' }) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let gone: Error | undefined;
  const request = (message: ToWorker, transfer: ArrayBuffer[] = []) =>
    new Promise<FromWorker & { op: 'reply' }>((resolve, reject) => {
      if (gone) return reject(gone);
      pending.set(message.id, { resolve, reject });
      worker.postMessage(message, transfer);
    }).then((reply) => {
      if (reply.error) throw new Error(reply.error);
      return reply;
    });

  let ready: (info: SqlAccessInfo | undefined) => void = () => undefined;
  let failed: (err: Error) => void = () => undefined;
  const started = new Promise<SqlAccessInfo | undefined>((resolve, reject) => {
    ready = resolve;
    failed = reject;
  });
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  const stop = (err: Error) => {
    gone ??= err;
    failed(err);
    for (const { reject } of pending.values()) reject(gone);
    pending.clear();
  };
  worker.on('message', (message: FromWorker) => {
    if (message.op === 'reply') {
      const waiter = pending.get(message.id);
      pending.delete(message.id);
      waiter?.resolve(message);
    } else if (message.op === 'event') onEvent?.(message.event);
    else if (message.op === 'ready') ready(message.sql);
    else failed(Object.assign(new Error(message.message), { stack: message.stack }));
  });
  worker.on('error', (err) => stop(err));
  worker.on('exit', (code) => stop(new Error(`embedded store: the database thread stopped (exit code ${code})`)));

  let info: SqlAccessInfo | undefined;
  try {
    info = await started;
  } catch (err) {
    await worker.terminate();
    throw err;
  }

  let conns = 0;
  const link = {
    write: async (conn: number, chunk: Uint8Array) => {
      const bytes = new Uint8Array(chunk); // a copy of its own: pg's buffers may be slices of a pool
      const reply = await request({ op: 'write', id: nextId++, conn, bytes }, [bytes.buffer as ArrayBuffer]);
      return { reply: reply.bytes ?? new Uint8Array(0), end: reply.end === true };
    },
    reset: async (conn: number) => {
      await request({ op: 'reset', id: nextId++, conn });
    },
  };
  let closing: Promise<void> | undefined;
  const close = async () => {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), CLOSE_BOUND_MS);
    });
    try {
      const outcome = await Promise.race([request({ op: 'close', id: nextId++ }).then(() => exited), late]);
      if (outcome === 'late') throw new Error(`embedded store: not closed within ${CLOSE_BOUND_MS / 1000} s`);
    } finally {
      clearTimeout(timer);
      await worker.terminate();
    }
  };
  return {
    connect: () => new WorkerSocket(link, conns++),
    sql: info && {
      ...info,
      close: async () => {
        await request({ op: 'close-sql', id: nextId++ });
      },
    },
    close: () => {
      closing ??= close();
      return closing;
    },
  };
}
