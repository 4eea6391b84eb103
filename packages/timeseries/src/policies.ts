import type { Queryable } from './db.js';
import { setHypertablePolicies, timescaleFeatures } from './hypertable-policies.js';
import { deleteTenantRows, type RetentionTarget } from './retention.js';

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
  /** Why no hypertable policies were set although TimescaleDB is there (e.g. its Apache-2 build). */
  policiesUnsupported?: string;
  /** Hypertable policies set (TimescaleDB): table -> drop_after / compress_after in days, null = none. */
  hypertables: Record<string, { dropAfterDays: number | null; compressAfterDays: number | null }>;
  /** Rows deleted per table by the per-tenant retention (TimescaleDB does not count whole compressed batches). */
  deleted: Record<string, number>;
  /** Steps that failed (the others still ran); the maintenance pass retries them with backoff. */
  failures: { table: string; tenantId?: string; error: string }[];
}

export interface ApplyPolicyOptions {
  /** From the store's capabilities. */
  timescale: boolean;
  /** Late data lands this far back: compressing chunks younger than that would slow those inserts. */
  lateWindowMs: number;
  /**
   * Run the hypertable policy jobs now (CALL run_job) instead of waiting for a scheduler. The
   * maintenance pass runs every job itself through watchJobs (jobs.ts) instead.
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
 * with a shorter retention get their older rows deleted here, in bounded steps (retention.ts); on
 * plain PostgreSQL and TimescaleDB's Apache build that DELETE is the whole mechanism. Idempotent:
 * run it at start and periodically (the pipeline does, hourly).
 */
export async function applyTelemetryPolicies(db: Queryable, opts: ApplyPolicyOptions): Promise<PolicyReport> {
  const now = (opts.now ?? Date.now)();
  const { rows } = await db.query<{ id: string; settings: unknown }>('SELECT id, settings FROM tenants');
  const tenants = rows.map((r) => ({ id: r.id, policy: policyFromSettings(r.settings) }));
  const report: PolicyReport = { timescale: opts.timescale, hypertables: {}, deleted: {}, failures: [] };
  const minCompressDays = Math.ceil(opts.lateWindowMs / 86_400_000);
  const features = opts.timescale ? await timescaleFeatures(db) : undefined;
  if (features && !features.policies) {
    report.policiesUnsupported = `TimescaleDB license "${features.license}" has no compression or retention policies`;
  }

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
    let covered: number | null | undefined;
    if (features?.policies) {
      try {
        const jobs = await setHypertablePolicies(db, table, dropAfter, compressAfter);
        report.hypertables[table] = { dropAfterDays: dropAfter, compressAfterDays: compressAfter };
        covered = dropAfter;
        if (opts.runJobsNow) for (const id of jobs) await db.query(`CALL run_job(${Number(id)})`);
      } catch (err) {
        report.failures.push({ table, error: message(err) });
      }
    }
    report.deleted[table] = await deleteOlder(
      db,
      { table, column: 'ts', hypertable: opts.timescale },
      tenants,
      field,
      now,
      covered,
      report.failures,
    );
  }
  for (const { table, field, column } of PLAIN) {
    report.deleted[table] = await deleteOlder(
      db,
      { table, column, hypertable: false },
      tenants,
      field,
      now,
      undefined,
      report.failures,
    );
  }
  return report;
}

/**
 * Deletes each tenant's rows older than its retention. `coveredDays`: what the hypertable's own
 * retention already drops, so tenants keeping that long are skipped. A tenant whose delete fails
 * is recorded in `failures` and the others go on: one tenant must not stop everyone's retention.
 */
async function deleteOlder(
  db: Queryable,
  target: RetentionTarget,
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
      deleted += await deleteTenantRows(db, target, t.id, new Date(now - days * 86_400_000));
    } catch (err) {
      failures.push({ table: target.table, tenantId: t.id, error: message(err) });
    }
  }
  return deleted;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
