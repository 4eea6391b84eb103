import type { Evaluation, Rule, RuleState, Sample } from './types.js';

/**
 * Maintenance rule: a counter or running-hours metric passing service_interval since the
 * baseline (the value when the last maintenance task was finished) opens a maintenance alert
 * AND creates a task. Finishing the task is the API's job: it moves rule_state.baseline, the
 * next sample then finds the service no longer due, resolves the alert and a later crossing
 * starts the next cycle.
 *
 * - No baseline yet: the first value seen becomes it (a machine with 5000 treatments on the
 *   counter when the rule is added is not reported as 5 services overdue; the API may set one).
 * - A value below the baseline is a counter reset (board replaced): the baseline follows it.
 * - Older samples than last_ts are ignored (a redelivery is a no-op).
 *
 * `label` names the device/asset in the task title.
 */
export function evaluateMaintenance(rule: Rule, state: RuleState, sample: Sample, label = ''): Evaluation {
  if (state.lastTs !== null && sample.ts <= state.lastTs) return { state, effects: [] };
  const interval = rule.serviceInterval;
  let baseline = state.baseline ?? sample.value;
  if (sample.value < baseline) baseline = sample.value;
  const seen: RuleState = { ...state, lastTs: sample.ts, lastValue: sample.value, baseline };
  if (interval === null || !(interval > 0)) return { state: seen, effects: [] };

  const used = sample.value - baseline;
  const due = used >= interval;
  const metric = rule.metric ?? 'counter';

  if (due && state.status !== 'active') {
    const on = label ? ` on ${label}` : '';
    return {
      state: { ...seen, status: 'active', breachSince: sample.ts, clearSince: null, alertId: null },
      effects: [
        {
          type: 'open_alert',
          at: sample.ts,
          value: sample.value,
          threshold: baseline + interval,
          message: `service due${on}: ${metric} ${sample.value} is ${used} past the last service (interval ${interval})`,
          historical: sample.historical,
        },
        {
          type: 'create_task',
          at: sample.ts,
          value: sample.value,
          title: `${rule.name}${on}`,
          description:
            `${metric} reached ${sample.value}: ${used} since the last service at ${baseline}, ` +
            `service interval ${interval}. Finishing this task resets the count.`,
        },
      ],
    };
  }
  if (!due && state.status === 'active') {
    const back: RuleState = { ...seen, status: 'normal', breachSince: null, alertId: null };
    if (state.alertId === null) return { state: back, effects: [] };
    return {
      state: back,
      effects: [
        { type: 'resolve_alert', alertId: state.alertId, at: sample.ts, value: sample.value, message: 'service done' },
      ],
    };
  }
  return { state: seen, effects: [] };
}
