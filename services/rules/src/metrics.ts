import { counter, histogram, type Registry } from '@telemetry/observability';

/** The rules worker's series; get-or-create, so the all-in-one process shares them. */
export function createRulesMetrics(registry: Registry) {
  return {
    events: counter(registry, 'rules_events_total', 'Messages seen by the rules worker', ['topic', 'result']),
    alerts: counter(registry, 'rules_alerts_total', 'Alerts opened/resolved by rules', ['change']),
    tasks: counter(registry, 'rules_tasks_created_total', 'Maintenance tasks created by rules'),
    batch: histogram(registry, 'rules_batch_seconds', 'Time to evaluate and commit one batch', ['topic']),
    relayed: counter(
      registry,
      'rules_outbox_relayed_total',
      'Outbox messages published by the relay (left by a crash or a failed publish)',
    ),
  };
}

export type RulesMetrics = ReturnType<typeof createRulesMetrics>;
