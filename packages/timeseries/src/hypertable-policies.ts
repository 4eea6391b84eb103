import type { Queryable } from './db.js';

/** What this TimescaleDB offers: compression and policies are TSL (Timescale License) features. */
export interface TimescaleFeatures {
  /** add_compression_policy, add_retention_policy, compress_chunk: not under the Apache build. */
  policies: boolean;
  license: string;
}

/**
 * Reads `timescaledb.license`. The Apache-2 build (license `apache`, e.g. some distributions'
 * packages) has hypertables but none of the policy functions: calling them fails on every pass.
 * There the per-tenant deletes do all of the retention, and nothing is compressed.
 */
export async function timescaleFeatures(db: Queryable): Promise<TimescaleFeatures> {
  const { rows } = await db.query<{ license: string | null }>(
    "SELECT current_setting('timescaledb.license', true) AS license",
  );
  const license = rows[0]?.license ?? 'unknown';
  return { policies: license !== 'apache', license };
}

/**
 * The hypertable's compression and retention policies as asked, changed only when they differ:
 * removing and re-adding them every pass gave each pass new job ids (and lost their history).
 * Returns the ids of the policy jobs.
 */
export async function setHypertablePolicies(
  db: Queryable,
  table: string,
  dropAfterDays: number | null,
  compressAfterDays: number | null,
): Promise<number[]> {
  const { rows } = await db.query<{ job_id: number; proc_name: string; config: Record<string, unknown> }>(
    `SELECT job_id, proc_name, config FROM timescaledb_information.jobs
      WHERE hypertable_schema = current_schema() AND hypertable_name = $1
        AND proc_name IN ('policy_compression', 'policy_retention')`,
    [table],
  );
  const ids: number[] = [];
  const wanted = [
    { proc: 'policy_compression', key: 'compress_after', days: compressAfterDays, fn: 'compression' },
    { proc: 'policy_retention', key: 'drop_after', days: dropAfterDays, fn: 'retention' },
  ];
  for (const w of wanted) {
    const existing = rows.filter((r) => r.proc_name === w.proc);
    const current = existing.length === 1 ? days(existing[0]?.config[w.key]) : undefined;
    if (w.days !== null && current === w.days && existing[0]) {
      ids.push(existing[0].job_id);
      continue;
    }
    if (existing.length > 0) {
      await db.query(`SELECT remove_${w.fn}_policy($1::regclass, if_exists => true)`, [table]);
    }
    if (w.days === null) continue;
    const added = await db.query<{ id: number }>(
      `SELECT add_${w.fn}_policy($1::regclass, make_interval(days => $2::int)) AS id`,
      [table, w.days],
    );
    if (added.rows[0]) ids.push(added.rows[0].id);
  }
  return ids;
}

/** A policy's interval as whole days ("10 days" in the job's JSON config), undefined otherwise. */
function days(value: unknown): number | undefined {
  const m = typeof value === 'string' ? /^(\d+) days?$/.exec(value) : null;
  return m ? Number(m[1]) : undefined;
}
