import type { Rule, RuleState } from '@telemetry/rule-engine';

/** `rules` columns as the evaluators want them. */
export const RULE_COLUMNS = `id, tenant_id, name, kind, device_id, asset_type, asset_id, metric, operator,
  threshold, threshold_high, clear_threshold, clear_high, min_duration_s, offline_factor, service_interval,
  task_due_days, severity, preset, enabled, reminder_s, command`;

export interface RuleRow {
  id: string;
  tenant_id: string;
  name: string;
  kind: Rule['kind'];
  device_id: string | null;
  asset_type: string | null;
  asset_id: string | null;
  metric: string | null;
  operator: Rule['operator'];
  threshold: number | null;
  threshold_high: number | null;
  clear_threshold: number | null;
  clear_high: number | null;
  min_duration_s: number;
  offline_factor: number;
  service_interval: number | null;
  task_due_days: number;
  severity: Rule['severity'];
  preset: string | null;
  enabled: boolean;
  reminder_s: number;
  command: { name?: unknown; params?: unknown; ttlS?: unknown } | null;
}

export function toRule(r: RuleRow): Rule {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    name: r.name,
    kind: r.kind,
    deviceId: r.device_id,
    assetType: r.asset_type,
    assetId: r.asset_id,
    metric: r.metric,
    operator: r.operator,
    threshold: r.threshold,
    thresholdHigh: r.threshold_high,
    clearThreshold: r.clear_threshold,
    clearHigh: r.clear_high,
    minDurationS: r.min_duration_s,
    offlineFactor: r.offline_factor,
    serviceInterval: r.service_interval,
    taskDueDays: r.task_due_days,
    severity: r.severity,
    preset: r.preset,
    enabled: r.enabled,
    reminderS: r.reminder_s,
    command: toCommand(r.command),
  };
}

/** The API validated it; a row written otherwise without a name sends nothing. */
function toCommand(c: RuleRow['command']): Rule['command'] {
  if (!c || typeof c.name !== 'string') return null;
  const params = typeof c.params === 'object' && c.params !== null ? (c.params as Record<string, unknown>) : {};
  const ttlS = typeof c.ttlS === 'number' && c.ttlS > 0 ? c.ttlS : 3_600;
  return { name: c.name, params, ttlS };
}

export interface StateRow {
  rule_id: string;
  device_id: string;
  status: RuleState['status'];
  breach_since: Date | null;
  clear_since: Date | null;
  last_value: number | null;
  last_ts: Date | null;
  alert_id: string | null;
  baseline: number | null;
  /** The referenced alert's state (LEFT JOIN alerts); null when there is none. */
  alert_state: string | null;
}

const ms = (d: Date | null) => (d === null ? null : d.getTime());

/**
 * A persisted state. An alert a person resolved (or deleted) no longer belongs to the episode:
 * alertId becomes null, so the evaluator ends the episode silently when the value clears instead
 * of raising a second alert for the same breach.
 */
export function toState(r: StateRow): RuleState {
  const alertOpen = r.alert_id !== null && r.alert_state !== null && r.alert_state !== 'resolved';
  return {
    status: r.status,
    breachSince: ms(r.breach_since),
    clearSince: ms(r.clear_since),
    lastValue: r.last_value,
    lastTs: ms(r.last_ts),
    alertId: alertOpen ? r.alert_id : null,
    baseline: r.baseline,
  };
}

export const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
