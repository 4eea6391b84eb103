import type { Bus, Subscription } from '@telemetry/bus';
import type { Config } from '@telemetry/config';
import { Topics } from '@telemetry/contracts';
import type { Logger, Registry } from '@telemetry/observability';
import { createTtlCache } from '@telemetry/runtime';
import type { Store } from '@telemetry/store';
import { loadLateWindows } from '@telemetry/timeseries';
import { createMaintenance, type MaintenanceHealth } from './maintenance.js';
import { createPipelineMetrics } from './metrics.js';
import { createBatchHandler, type PipelineFaults, type PipelineTopics } from './process-batch.js';

export interface PipelineDeps {
  bus: Bus;
  store: Store;
  logger: Logger;
  registry: Registry;
  /** lateWindowMs, futureSkewMs, batchSize (LATE_WINDOW, FUTURE_SKEW, PIPELINE_BATCH_SIZE). */
  config: Pick<Config, 'pipeline'>;
  /** Default: Topics.telemetryRaw / telemetryAccepted / telemetryDead (tests use their own names). */
  topics?: Partial<PipelineTopics>;
  /** Consumer group; default "store". */
  groupId?: string;
  /** Failure injection for tests: see PipelineFaults. */
  faults?: PipelineFaults;
  /** The worker's clock for the late window; default Date.now. */
  now?: () => number;
  /**
   * Pruning telemetry_seen and applying the tenants' storage policies: every this many ms, first
   * right after start. Default 1 h; 0 turns it off (tests).
   */
  maintenanceIntervalMs?: number;
  /** How long a tenant's late window (tenant settings) is cached; default 30 s. */
  settingsTtlMs?: number;
}

export interface Pipeline {
  readonly topics: PipelineTopics;
  /** Ensures the topics, joins the group; resolves once the member holds its partitions. */
  start(): Promise<void>;
  /** Leaves the group after the in-flight batch (its offsets committed); stops maintenance. */
  close(): Promise<void>;
  /** One maintenance pass now (prune seen marks, apply policies, run TimescaleDB jobs); rejects with what failed. */
  maintain(): Promise<void>;
  /** The maintenance pass's state and the failing TimescaleDB jobs, for /readyz detail. */
  maintenanceHealth(): MaintenanceHealth;
}

/**
 * The pipeline worker: consumer group "store" on telemetry.raw.v1 → validate, dedupe, one
 * transaction per batch (raw rows, rollups, device state) → telemetry.accepted.v1 / telemetry.dead.v1.
 */
export function createPipeline(deps: PipelineDeps): Pipeline {
  const topics: PipelineTopics = {
    raw: deps.topics?.raw ?? Topics.telemetryRaw,
    accepted: deps.topics?.accepted ?? Topics.telemetryAccepted,
    dead: deps.topics?.dead ?? Topics.telemetryDead,
  };
  const logger = deps.logger.child({ component: 'pipeline' });
  const now = deps.now ?? Date.now;
  const defaultWindow = deps.config.pipeline.lateWindowMs;
  // the late window is per tenant (#14): read once per TTL, not per batch
  const windows = createTtlCache<string, number>({ ttlMs: deps.settingsTtlMs ?? 30_000, max: 10_000 });
  const lateWindows = async (tenantIds: readonly string[]) => {
    const out = new Map<string, number>();
    await Promise.all(
      tenantIds.map(async (id) => {
        const ms = await windows.get(id, async (t) => {
          const loaded = await loadLateWindows(deps.store.pool, [t], defaultWindow);
          return loaded.get(t) ?? defaultWindow;
        });
        out.set(id, ms);
      }),
    );
    return out;
  };
  const handler = createBatchHandler({
    bus: deps.bus,
    store: deps.store,
    logger,
    metrics: createPipelineMetrics(deps.registry),
    topics,
    rules: { lateWindowMs: defaultWindow, futureSkewMs: deps.config.pipeline.futureSkewMs },
    lateWindows,
    faults: deps.faults ?? {},
    now,
    // the embedded store is one session: one batch transaction at a time, and the batches of the
    // partitions that arrive meanwhile join the next one instead of queueing for it. A server runs
    // the partitions' transactions side by side (measured: grouping them there was slower)
    transactions: deps.store.kind === 'embedded' ? 1 : Number.POSITIVE_INFINITY,
    maxGroupMessages: 2 * deps.config.pipeline.batchSize,
  });
  const maintenance = createMaintenance({
    store: deps.store,
    logger,
    registry: deps.registry,
    lateWindowMs: deps.config.pipeline.lateWindowMs,
    intervalMs: deps.maintenanceIntervalMs ?? 3_600_000,
    now,
  });
  let subscription: Subscription | undefined;

  return {
    topics,
    async start() {
      if (subscription) return;
      await deps.bus.ensureTopics([{ name: topics.raw }, { name: topics.accepted }, { name: topics.dead }]);
      subscription = await deps.bus.subscribe({
        groupId: deps.groupId ?? 'store',
        topics: [topics.raw],
        handler,
        maxBatchSize: deps.config.pipeline.batchSize,
        fromBeginning: true,
        durable: true,
      });
      await subscription.ready;
      maintenance.start();
      logger.info({ topics, groupId: subscription.groupId }, 'pipeline started');
    },
    async close() {
      await maintenance.stop();
      const s = subscription;
      subscription = undefined;
      await s?.close();
    },
    maintain: () => maintenance.runOnce(),
    maintenanceHealth: () => maintenance.health(),
  };
}
