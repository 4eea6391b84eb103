import { counter, gauge, histogram, type Registry } from '@telemetry/observability';

const BATCH_SIZE_BUCKETS = [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000];

export type PipelineMetrics = ReturnType<typeof createPipelineMetrics>;

/** The worker's series; get-or-create, so the all-in-one process can build the pipeline twice. */
export function createPipelineMetrics(registry: Registry) {
  return {
    eventsIn: counter(registry, 'pipeline_events_in_total', 'Messages read from telemetry.raw.v1'),
    stored: counter(
      registry,
      'pipeline_events_stored_total',
      'First-seen events stored (raw row or deadband-suppressed)',
    ),
    duplicates: counter(
      registry,
      'pipeline_events_duplicate_total',
      'Events already seen (same tenant, device, event id)',
      ['where'],
    ),
    conflicts: counter(
      registry,
      'pipeline_events_conflict_total',
      'Copies of a stored event id with another payload (kept apart in telemetry_conflicts, reason id_conflict)',
    ),
    dead: counter(registry, 'pipeline_events_dead_total', 'Messages dead-lettered to telemetry.dead.v1', ['reason']),
    late: counter(
      registry,
      'pipeline_events_late_total',
      'Stored events older than the newest of their device (updated past buckets)',
    ),
    skewed: counter(
      registry,
      'pipeline_events_skewed_total',
      'Events whose device time was too far in the future (filed under receive time)',
    ),
    suppressed: counter(
      registry,
      'pipeline_raw_suppressed_total',
      'Readings counted in rollups but not kept raw (deadband)',
    ),
    republished: counter(
      registry,
      'pipeline_accepted_republished_total',
      'Accepted events published again on redelivery',
    ),
    failedBatches: counter(registry, 'pipeline_batches_failed_total', 'Batches that threw (redelivered by the bus)', [
      'kind',
    ]),
    batchSize: histogram(registry, 'pipeline_batch_size', 'Messages per handled batch', [], BATCH_SIZE_BUCKETS),
    batchSeconds: histogram(registry, 'pipeline_batch_seconds', 'Time to handle one batch (transaction and publishes)'),
    storeLatency: histogram(
      registry,
      'pipeline_store_latency_seconds',
      'Trace stage bus -> stored (commit) per stored event',
    ),
    stageLatency: histogram(
      registry,
      'telemetry_stage_latency_seconds',
      'Per-stage latency of stored events: edge_to_bus (edge receive -> on the bus), bus_to_stored (-> commit), edge_to_stored',
      ['stage'],
    ),
    lag: gauge(
      registry,
      'pipeline_consumer_lag_seconds',
      'Age of the newest message of the last batch, per partition',
      ['topic', 'partition'],
    ),
  };
}
