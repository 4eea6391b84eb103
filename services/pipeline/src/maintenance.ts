import { counter, gauge, type Logger, type Registry } from '@telemetry/observability';
import { backoffMs, type Loop, startLoop } from '@telemetry/runtime';
import type { Store } from '@telemetry/store';
import {
  applyTelemetryPolicies,
  type JobFailure,
  pruneSeen,
  tenantLateCutoffs,
  watchJobs,
} from '@telemetry/timeseries';

/** First retry of a failed pass; doubled per failure up to the pass interval. */
const FIRST_RETRY_MS = 30_000;

/** What /readyz shows of the maintenance pass (detail only: a failing pass does not unready the API). */
export interface MaintenanceHealth {
  lastSuccessAt: string | null;
  lastFailureAt: string | null;
  lastError: string | null;
  consecutiveFailures: number;
  nextRetryAt: string | null;
  /** TimescaleDB jobs whose last run failed (by the server's scheduler or by this pass). */
  failingJobs: JobFailure[];
}

/**
 * Housekeeping on a timer: forget seen marks beyond the late window (events that old are
 * dead-lettered before the judge is asked), apply the tenants' retention/compression policies and
 * watch TimescaleDB's jobs (running those the server's scheduler failed; the embedded PGlite build
 * has no scheduler, so there every job is run here). A failed pass is logged with what failed,
 * counted, and retried with backoff (30 s, 1 min, ... up to the interval), not just again in an hour.
 */
export function createMaintenance(deps: {
  store: Store;
  logger: Logger;
  registry: Registry;
  lateWindowMs: number;
  intervalMs: number;
  now: () => number;
}) {
  const metrics = createMaintenanceMetrics(deps.registry);
  const health: MaintenanceHealth = {
    lastSuccessAt: null,
    lastFailureAt: null,
    lastError: null,
    consecutiveFailures: 0,
    nextRetryAt: null,
    failingJobs: [],
  };
  let loop: Loop | undefined;
  let retry: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  const { timescale } = deps.store.capabilities;

  /** One pass; throws when any step failed (after running all the steps it could). */
  const runOnce = async () => {
    const now = deps.now();
    // a tenant with a window of its own keeps its marks as long as its window (an import re-run dedupes)
    const cutoffs = await tenantLateCutoffs(deps.store.pool, deps.lateWindowMs, now);
    const pruned = await pruneSeen(deps.store.pool, new Date(now - deps.lateWindowMs), 10_000, cutoffs);
    const policies = await applyTelemetryPolicies(deps.store.pool, {
      timescale,
      lateWindowMs: deps.lateWindowMs,
      now: deps.now,
    });
    const jobs = timescale
      ? await watchJobs(deps.store.pool, { scheduler: deps.store.kind !== 'embedded' })
      : undefined;
    if (jobs) recordJobs(jobs);
    deps.logger.info({ pruned, policies, jobs }, 'pipeline maintenance done');
    if (policies.failures.length > 0) {
      const first = policies.failures[0];
      throw new Error(
        `${policies.failures.length} retention/compression step(s) failed, first: ${first?.table}${first?.tenantId ? ` (tenant ${first.tenantId})` : ''}: ${first?.error}`,
      );
    }
  };

  const recordJobs = (jobs: Awaited<ReturnType<typeof watchJobs>>) => {
    health.failingJobs = jobs.failing;
    metrics.jobsFailing.set(jobs.failing.length);
    metrics.jobFailed.reset();
    for (const f of [...jobs.schedulerFailures, ...jobs.failing]) {
      metrics.jobFailed.set({ job_id: String(f.jobId), proc: f.proc, seen_by: f.seenBy }, 1);
    }
    for (const r of jobs.ran) metrics.jobRuns.inc({ proc: r.proc, result: r.ok ? 'ok' : 'failed' });
    for (const f of jobs.failing) {
      deps.logger.warn({ job: f }, `TimescaleDB job ${f.jobId} (${f.proc}) failed: ${f.error ?? 'no error text'}`);
    }
  };

  const pass = () => {
    if (running) return running;
    running = runOnce()
      .then(() => {
        health.lastSuccessAt = new Date(deps.now()).toISOString();
        health.lastError = null;
        health.consecutiveFailures = 0;
        health.nextRetryAt = null;
        metrics.lastSuccess.set(deps.now() / 1000);
      })
      .catch((err: unknown) => {
        health.consecutiveFailures++;
        health.lastFailureAt = new Date(deps.now()).toISOString();
        health.lastError = err instanceof Error ? err.message : String(err);
        metrics.failures.inc();
        const delay = backoffMs(health.consecutiveFailures, { baseMs: FIRST_RETRY_MS, maxMs: deps.intervalMs });
        const scheduled = loop !== undefined;
        health.nextRetryAt = scheduled ? new Date(deps.now() + delay).toISOString() : null;
        deps.logger.warn(
          { err, attempt: health.consecutiveFailures, retryInMs: scheduled ? delay : null },
          'pipeline maintenance failed; retrying with backoff',
        );
        if (scheduled) {
          clearTimeout(retry);
          retry = setTimeout(() => loop?.kick(), delay);
          retry.unref();
        }
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };

  return {
    start() {
      if (deps.intervalMs <= 0 || loop) return;
      // pass() reports its own failures; the loop only schedules (and kick() brings a retry forward)
      loop = startLoop('pipeline maintenance', deps.intervalMs, pass, deps.logger);
    },
    async stop() {
      const stopping = loop;
      loop = undefined;
      clearTimeout(retry);
      await stopping?.stop();
      await running;
    },
    /** One pass now; rejects with what failed (the failure is also logged, counted and shown). */
    async runOnce() {
      await pass();
      if (health.consecutiveFailures > 0 && health.lastError) throw new Error(health.lastError);
    },
    health: (): MaintenanceHealth => ({ ...health, failingJobs: [...health.failingJobs] }),
  };
}

function createMaintenanceMetrics(registry: Registry) {
  return {
    failures: counter(
      registry,
      'pipeline_maintenance_failures_total',
      'Maintenance passes (retention, compression, TimescaleDB jobs) that failed; retried with backoff',
    ),
    lastSuccess: gauge(
      registry,
      'pipeline_maintenance_last_success_timestamp_seconds',
      'When the last maintenance pass succeeded (Unix time)',
    ),
    jobsFailing: gauge(
      registry,
      'timescaledb_jobs_failing',
      'TimescaleDB jobs still failing after the maintenance pass ran them',
    ),
    jobFailed: gauge(registry, 'timescaledb_job_failed', 'A TimescaleDB job whose last run failed (1)', [
      'job_id',
      'proc',
      'seen_by',
    ]),
    jobRuns: counter(registry, 'timescaledb_job_runs_total', 'TimescaleDB jobs run by the maintenance pass', [
      'proc',
      'result',
    ]),
  };
}
