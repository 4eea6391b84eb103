import type { Logger } from '@telemetry/observability';
import { type Loop, startLoop } from '@telemetry/runtime';
import type { Store } from '@telemetry/store';
import { applyTelemetryPolicies, pruneSeen } from '@telemetry/timeseries';

/**
 * Housekeeping on a timer: forget seen marks beyond the late window (events that old are
 * dead-lettered before the judge is asked) and apply the tenants' retention/compression policies.
 * The embedded PGlite build runs no TimescaleDB background workers, so there the policy jobs are
 * run inline (CALL run_job).
 */
export function createMaintenance(deps: {
  store: Store;
  logger: Logger;
  lateWindowMs: number;
  intervalMs: number;
  now: () => number;
}) {
  let loop: Loop | undefined;

  const runOnce = async () => {
    const pruned = await pruneSeen(deps.store.pool, new Date(deps.now() - deps.lateWindowMs));
    const report = await applyTelemetryPolicies(deps.store.pool, {
      timescale: deps.store.capabilities.timescale,
      lateWindowMs: deps.lateWindowMs,
      runJobsNow: deps.store.kind === 'embedded',
      now: deps.now,
    });
    deps.logger.info({ pruned, policies: report }, 'pipeline maintenance done');
  };

  return {
    start() {
      if (deps.intervalMs <= 0 || loop) return;
      loop = startLoop('pipeline maintenance', deps.intervalMs, runOnce, deps.logger);
    },
    async stop() {
      await loop?.stop();
      loop = undefined;
    },
    runOnce,
  };
}
