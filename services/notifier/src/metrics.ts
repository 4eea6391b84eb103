import { counter, type Registry } from '@telemetry/observability';

export function createNotifierMetrics(registry: Registry) {
  return {
    mails: counter(registry, 'notify_mails_total', 'Mail attempts by outcome (sent, retry, failed, unknown)', [
      'result',
    ]),
    enqueued: counter(registry, 'notify_enqueued_total', 'Outbox rows written, by status (pending, suppressed)', [
      'status',
    ]),
    messages: counter(registry, 'notify_messages_total', 'alerts.v1 / tasks.v1 messages consumed', ['topic', 'result']),
  };
}

export type NotifierMetrics = ReturnType<typeof createNotifierMetrics>;
