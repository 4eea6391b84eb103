import type pg from 'pg';

/** What the connected database can do; repositories pick their SQL by it. */
export interface Capabilities {
  /** TimescaleDB is installed: hypertables and `time_bucket`. Otherwise plain tables and `date_bin`. */
  timescale: boolean;
  /** The installed TimescaleDB version. */
  version?: string;
  /** Why TimescaleDB is not used although the server offers it (e.g. not preloaded, no privilege). */
  reason?: string;
}

type Queryable = Pick<pg.Pool, 'query'>;

/**
 * Detects TimescaleDB and installs it when the server offers it. Run once at start-up,
 * before migrations (a `.timescale.sql` migration needs the extension).
 */
export async function detectCapabilities(db: Queryable): Promise<Capabilities> {
  const installed = await installedVersion(db);
  if (installed) return { timescale: true, version: installed };

  const offered = await db.query("SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'");
  if (offered.rowCount === 0) return { timescale: false };
  try {
    await db.query('CREATE EXTENSION IF NOT EXISTS timescaledb');
  } catch (err) {
    // Replicas starting together race on CREATE EXTENSION; the loser sees a unique
    // violation although the extension is now there, so look again before giving up.
    const version = await installedVersion(db);
    if (version) return { timescale: true, version };
    // Typically: not in shared_preload_libraries, or the user may not create extensions.
    return { timescale: false, reason: (err as Error).message };
  }
  const version = await installedVersion(db);
  return version ? { timescale: true, version } : { timescale: false };
}

async function installedVersion(db: Queryable): Promise<string | undefined> {
  const { rows } = await db.query<{ extversion: string }>(
    "SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'",
  );
  return rows[0]?.extversion;
}
