import type { Queryable } from './db.js';

/**
 * Per-tenant storage policy, read from tenants.settings.telemetry (days; null = keep forever):
 * {"telemetry": {"rawRetentionDays": 30, "eventRetentionDays": 730, "compressAfterDays": 3, ...}}
 */
export interface TelemetryPolicy {
  /** telemetry_raw (readings). */
  rawRetentionDays: number | null;
  /** device_events (treatments, counters, heartbeats): billing data, kept longer by default. */
  eventRetentionDays: number | null;
  rollup1mRetentionDays: number | null;
  rollup1hRetentionDays: number | null;
  rollup1dRetentionDays: number | null;
  /** TimescaleDB only: compress raw chunks older than this. null = never. */
  compressAfterDays: number | null;
}

export const DEFAULT_POLICY: TelemetryPolicy = {
  rawRetentionDays: 90,
  eventRetentionDays: 730,
  rollup1mRetentionDays: 30,
  rollup1hRetentionDays: 730,
  rollup1dRetentionDays: null,
  compressAfterDays: 7,
};

const KEYS = Object.keys(DEFAULT_POLICY) as (keyof TelemetryPolicy)[];

/**
 * 100 years. Days become dates (`now - days`) and TimescaleDB intervals (`make_interval(days => int)`):
 * an unbounded value (1e12) threw there and stopped the maintenance of every tenant.
 */
const MAX_DAYS = 36_500;

/**
 * The tenant's policy: its settings over the defaults; a malformed field keeps the default, and
 * a number is taken as whole days within 1..36500 (the API refuses others, older rows are clamped).
 */
export function policyFromSettings(settings: unknown): TelemetryPolicy {
  const t = (settings as { telemetry?: Record<string, unknown> } | null)?.telemetry;
  const out = { ...DEFAULT_POLICY };
  if (!t || typeof t !== 'object') return out;
  for (const key of KEYS) {
    const v = t[key];
    if (v === null) out[key] = null;
    else if (typeof v === 'number' && Number.isFinite(v) && v > 0) out[key] = Math.min(MAX_DAYS, Math.ceil(v));
  }
  return out;
}

export interface PolicyReport {
  timescale: boolean;
  /** Hypertable policies set (TimescaleDB): table -> drop_after / compress_after in days, null = none. */
  hypertables: Record<string, { dropAfterDays: number | null; compressAfterDays: number | null }>;
  /** Rows deleted per table by the per-tenant retention. */
  deleted: Record<string, number>;
  /** Per-tenant deletes that failed (the other tenants' still ran); retried on the next run. */
  failures: { table: string; tenantId: string; error: string }[];
}

export interface ApplyPolicyOptions {
  /** From the store's capabilities. */
  timescale: boolean;
  /** Late data lands this far back: compressing chunks younger than that would slow those inserts. */
  lateWindowMs: number;
  /**
   * Run the TimescaleDB policy jobs now (CALL run_job) instead of waiting for the scheduler.
   * The embedded PGlite build accepts the policies but runs no background workers: set it there.
   */
  runJobsNow?: boolean;
  now?: () => number;
}

const HYPERTABLES = [
  { table: 'telemetry_raw', field: 'rawRetentionDays' },
  { table: 'device_events', field: 'eventRetentionDays' },
] as const;

const PLAIN = [
  { table: 'rollup_1m', field: 'rollup1mRetentionDays', column: 'bucket' },
  { table: 'rollup_1h', field: 'rollup1hRetentionDays', column: 'bucket' },
  { table: 'rollup_1d', field: 'rollup1dRetentionDays', column: 'bucket' },
] as const;

/**
 * Applies every tenant's policy. A hypertable is shared by the tenants, and TimescaleDB policies are
 * per hypertable: its drop_after is the LONGEST retention of any tenant (chunks go only when no tenant
 * needs them) and its compress_after the SHORTEST compress age (at least the late window). Tenants
 * with a shorter retention get their older rows deleted here; on plain PostgreSQL that DELETE is the
 * whole mechanism. Idempotent: run it at start and periodically (the pipeline does, hourly).
 */
export async function applyTelemetryPolicies(db: Queryable, opts: ApplyPolicyOptions): Promise<PolicyReport> {
  const now = (opts.now ?? Date.now)();
  const { rows } = await db.query<{ id: string; settings: unknown }>('SELECT id, settings FROM tenants');
  const tenants = rows.map((r) => ({ id: r.id, policy: policyFromSettings(r.settings) }));
  const report: PolicyReport = { timescale: opts.timescale, hypertables: {}, deleted: {}, failures: [] };
  const minCompressDays = Math.ceil(opts.lateWindowMs / 86_400_000);

  for (const { table, field } of HYPERTABLES) {
    const retention = tenants.map((t) => t.policy[field]);
    // no tenants yet: the defaults; any tenant keeping forever: no drop policy
    const dropAfter =
      tenants.length === 0
        ? DEFAULT_POLICY[field]
        : retention.some((d) => d === null)
          ? null
          : Math.max(...(retention as number[]));
    const compressDays = (
      tenants.length ? tenants.map((t) => t.policy.compressAfterDays) : [DEFAULT_POLICY.compressAfterDays]
    ).filter((d): d is number => d !== null);
    const compressAfter = compressDays.length ? Math.max(minCompressDays, Math.min(...compressDays)) : null;
    if (opts.timescale) {
      await setHypertablePolicies(db, table, dropAfter, compressAfter, opts.runJobsNow ?? false);
      report.hypertables[table] = { dropAfterDays: dropAfter, compressAfterDays: compressAfter };
    }
    report.deleted[table] = await deleteOlder(
      db,
      table,
      'ts',
      tenants,
      field,
      now,
      opts.timescale ? dropAfter : undefined,
      report.failures,
    );
  }
  for (const { table, field, column } of PLAIN) {
    report.deleted[table] = await deleteOlder(db, table, column, tenants, field, now, undefined, report.failures);
  }
  return report;
}

async function setHypertablePolicies(
  db: Queryable,
  table: string,
  dropAfterDays: number | null,
  compressAfterDays: number | null,
  runNow: boolean,
): Promise<void> {
  await db.query('SELECT remove_retention_policy($1::regclass, if_exists => true)', [table]);
  await db.query('SELECT remove_compression_policy($1::regclass, if_exists => true)', [table]);
  const jobs: number[] = [];
  if (compressAfterDays !== null) {
    const { rows } = await db.query<{ id: number }>(
      'SELECT add_compression_policy($1::regclass, make_interval(days => $2::int)) AS id',
      [table, compressAfterDays],
    );
    if (rows[0]) jobs.push(rows[0].id);
  }
  if (dropAfterDays !== null) {
    const { rows } = await db.query<{ id: number }>(
      'SELECT add_retention_policy($1::regclass, make_interval(days => $2::int)) AS id',
      [table, Math.ceil(dropAfterDays)],
    );
    if (rows[0]) jobs.push(rows[0].id);
  }
  if (runNow) for (const id of jobs) await db.query(`CALL run_job(${Number(id)})`);
}

/**
 * Deletes each tenant's rows older than its retention. `coveredDays`: what the hypertable's own
 * retention already drops, so tenants keeping that long are skipped. A tenant whose delete fails
 * is recorded in `failures` and the others go on: one tenant must not stop everyone's retention.
 * (With a pool, as the pipeline passes, each DELETE is its own statement: a failed one aborts nothing else.)
 */
async function deleteOlder(
  db: Queryable,
  table: string,
  column: string,
  tenants: { id: string; policy: TelemetryPolicy }[],
  field: keyof TelemetryPolicy,
  now: number,
  coveredDays: number | null | undefined,
  failures: PolicyReport['failures'],
): Promise<number> {
  let deleted = 0;
  for (const t of tenants) {
    const days = t.policy[field];
    if (days === null) continue;
    if (coveredDays !== undefined && coveredDays !== null && days >= coveredDays) continue;
    try {
      const { rowCount } = await db.query(`DELETE FROM ${table} WHERE tenant_id = $1 AND ${column} < $2`, [
        t.id,
        new Date(now - days * 86_400_000).toISOString(),
      ]);
      deleted += rowCount ?? 0;
    } catch (err) {
      failures.push({ table, tenantId: t.id, error: err instanceof Error ? err.message : String(err) });
    }
  }
  return deleted;
}
