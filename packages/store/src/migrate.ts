import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { type MigrationFile, readMigrationFiles } from './migration-files.js';
import { inTransaction, withClient } from './transaction.js';

/** packages/store/migrations, found from this file so the working directory does not matter. */
export const DEFAULT_MIGRATIONS_DIR = fileURLToPath(new URL('../migrations/', import.meta.url));

/**
 * Key of the advisory lock that serializes migrators (replicas starting together). Advisory
 * locks are per database, so test databases on one server do not wait for each other.
 * Passed as text: JS numbers cannot carry every int8.
 */
const LOCK_KEY = '7301960043021170411';

export interface MigrateOptions {
  /** Default: DEFAULT_MIGRATIONS_DIR. */
  dir?: string;
  /** From detectCapabilities: whether the `.timescale.sql` files run. */
  timescale: boolean;
}

/**
 * Applies the pending migrations of a folder, each in its own transaction, and records them
 * in schema_migrations. Returns the names applied now ([] when up to date).
 *
 * A `.timescale.sql` file skipped for lack of TimescaleDB is not recorded: should the database
 * gain the extension later, it runs then, after the migrations already applied.
 */
export async function runMigrations(pool: pg.Pool, options: MigrateOptions): Promise<string[]> {
  const dir = options.dir ?? DEFAULT_MIGRATIONS_DIR;
  const files = (await readMigrationFiles(dir)).filter((file) => options.timescale || !file.timescale);
  return withClient(pool, async (client, markBroken) => {
    // Waiting for another replica's migrations and a migration itself may take longer than the
    // statement timeout that guards the services' queries.
    await client.query('SET statement_timeout = 0');
    await client.query('SELECT pg_advisory_lock($1::bigint)', [LOCK_KEY]);
    try {
      return await applyPending(client, files);
    } finally {
      await client.query('RESET statement_timeout').catch(markBroken);
      // the lock dies with the connection: destroy it
      await client.query('SELECT pg_advisory_unlock($1::bigint)', [LOCK_KEY]).catch(markBroken);
    }
  });
}

async function applyPending(client: pg.PoolClient, files: MigrationFile[]): Promise<string[]> {
  // Created under the lock: two concurrent CREATE TABLE IF NOT EXISTS can still collide.
  await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
    name text PRIMARY KEY,
    checksum text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`);
  const { rows } = await client.query<{ name: string; checksum: string }>(
    'SELECT name, checksum FROM schema_migrations',
  );
  const applied = new Map(rows.map((row) => [row.name, row.checksum]));
  // Rows without a file are ignored: during a rolling deploy a newer replica may be ahead.
  assertUnchanged(files, applied);

  const done: string[] = [];
  for (const file of files) {
    if (applied.has(file.name)) continue;
    try {
      await inTransaction(client, async () => {
        await client.query(file.sql); // no parameters: simple protocol, several statements allowed
        await client.query('INSERT INTO schema_migrations (name, checksum) VALUES ($1, $2)', [
          file.name,
          file.checksum,
        ]);
      });
    } catch (err) {
      throw new Error(`migration ${file.name} failed, nothing of it was applied: ${(err as Error).message}`, {
        cause: err,
      });
    }
    done.push(file.name);
  }
  return done;
}

/** Checked before anything runs: an edited migration means the schema is not what the files say. */
function assertUnchanged(files: MigrationFile[], applied: Map<string, string>): void {
  const changed = files.filter((file) => {
    const recorded = applied.get(file.name);
    return recorded !== undefined && recorded !== file.checksum;
  });
  if (changed.length === 0) return;
  const list = changed
    .map(
      (file) =>
        `${file.name} (recorded ${applied.get(file.name)?.slice(0, 12)}, file now ${file.checksum.slice(0, 12)})`,
    )
    .join(', ');
  throw new Error(
    `migration checksum mismatch: ${list} changed after being applied; restore the applied text and put the change in a new migration`,
  );
}
