import type { Evaluation, Operator, Rule, RuleState, Sample } from './types.js';

/**
 * Threshold rule with hysteresis and a minimum duration, on device time.
 *
 * normal --breach--> pending --breach for min_duration--> active (alert opened)
 * pending --any non-breaching value--> normal (the window restarts with the next breach)
 * active --cleared past the clear threshold for min_duration--> normal (alert auto-resolved)
 * active --value back inside the hysteresis band or breaching again--> active (clear window restarts)
 *
 * The minimum duration applies symmetrically: an alert resolves only after the value has stayed
 * past the clear threshold for min_duration_s, so a flapping value neither raises nor resolves
 * on a single sample. Durations are measured between samples (device time): a window is
 * complete when a sample arrives at or after breach_since + min_duration.
 *
 * A sample at or before the state's last_ts is ignored: older data would rewind the state
 * machine, and a redelivered event (same ts) must be a no-op.
 */
export function evaluateThreshold(rule: Rule, state: RuleState, sample: Sample): Evaluation {
  if (state.lastTs !== null && sample.ts <= state.lastTs) return { state, effects: [] };
  const seen: RuleState = { ...state, lastTs: sample.ts, lastValue: sample.value };
  const limits = thresholdLimits(rule);
  if (!limits) return { state: seen, effects: [] };

  const minMs = rule.minDurationS * 1000;
  const breach = limits.breaches(sample.value);

  switch (state.status) {
    case 'normal':
    case 'pending': {
      if (!breach) return { state: { ...seen, status: 'normal', breachSince: null, clearSince: null }, effects: [] };
      const since = state.status === 'pending' && state.breachSince !== null ? state.breachSince : sample.ts;
      if (sample.ts - since < minMs) {
        return { state: { ...seen, status: 'pending', breachSince: since, clearSince: null }, effects: [] };
      }
      return {
        state: { ...seen, status: 'active', breachSince: since, clearSince: null, alertId: null },
        effects: [
          {
            type: 'open_alert',
            at: sample.ts,
            value: sample.value,
            threshold: limits.reported,
            message: describeBreach(rule, sample.value),
            historical: sample.historical,
          },
        ],
      };
    }
    case 'active': {
      if (!limits.clears(sample.value)) return { state: { ...seen, clearSince: null }, effects: [] };
      const since = state.clearSince ?? sample.ts;
      if (sample.ts - since < minMs) return { state: { ...seen, clearSince: since }, effects: [] };
      const cleared: RuleState = { ...seen, status: 'normal', breachSince: null, clearSince: null, alertId: null };
      // alertId is null when a person resolved the alert by hand: the episode ends silently.
      if (state.alertId === null) return { state: cleared, effects: [] };
      return {
        state: cleared,
        effects: [
          {
            type: 'resolve_alert',
            alertId: state.alertId,
            at: sample.ts,
            value: sample.value,
            message: describeClear(rule, sample.value),
          },
        ],
      };
    }
  }
}

interface Limits {
  breaches(v: number): boolean;
  clears(v: number): boolean;
  /** The number an alert reports as its threshold. */
  reported: number;
}

/**
 * The breach and clear predicates of a rule, or null when it is incomplete. A clear threshold
 * on the wrong side of the threshold is clamped to the threshold (no hysteresis), so a value can
 * never breach and clear at once.
 */
export function thresholdLimits(rule: Rule): Limits | null {
  const { operator: op, threshold: t } = rule;
  if (op === null || t === null) return null;
  if (op === 'outside') {
    const hi = rule.thresholdHigh;
    if (hi === null || hi < t) return null;
    const clo = Math.max(rule.clearThreshold ?? t, t);
    const chi = Math.min(rule.clearHigh ?? hi, hi);
    return { breaches: (v) => v < t || v > hi, clears: (v) => v >= clo && v <= chi, reported: t };
  }
  const upper = op === '>' || op === '>=';
  const c = upper ? Math.min(rule.clearThreshold ?? t, t) : Math.max(rule.clearThreshold ?? t, t);
  return { breaches: (v) => compare(op, v, t), clears: (v) => !compare(op, v, c), reported: t };
}

function compare(op: Exclude<Operator, 'outside'>, v: number, t: number): boolean {
  switch (op) {
    case '>':
      return v > t;
    case '>=':
      return v >= t;
    case '<':
      return v < t;
    case '<=':
      return v <= t;
  }
}

export function describeBreach(rule: Rule, value: number): string {
  const metric = rule.metric ?? 'value';
  if (rule.operator === 'outside') return `${metric} ${value} outside [${rule.threshold}, ${rule.thresholdHigh}]`;
  return `${metric} ${value} ${rule.operator} ${rule.threshold}`;
}

function describeClear(rule: Rule, value: number): string {
  return `${rule.metric ?? 'value'} back to ${value}`;
}
