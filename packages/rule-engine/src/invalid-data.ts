import { formatSeconds } from './offline.js';
import type { Evaluation, Rule, RuleState } from './types.js';

/** The window of an invalid_data rule: min_duration_s, at least a minute. */
export function invalidDataWindowMs(rule: Rule): number {
  return Math.max(60, rule.minDurationS) * 1000;
}

/**
 * "Device sends invalid data": at least `threshold` (default 1) rejections of the device (any
 * reason: acl_denied, not_json, schema_invalid, too_late, id_conflict ...) within the window open
 * one alert; it resolves once a whole window passes without any. Like the offline kind it runs on
 * wall time, from a timer, over the rejections the pipeline keeps (device_rejections).
 */
export function evaluateInvalidData(
  rule: Rule,
  state: RuleState,
  input: { now: number; count: number; lastAt: number | null; reasons: Record<string, number> },
): Evaluation {
  const needed = Math.max(1, Math.ceil(rule.threshold ?? 1));
  const window = invalidDataWindowMs(rule);
  if (input.count >= needed && state.status !== 'active') {
    const reasons = Object.entries(input.reasons)
      .sort((a, b) => b[1] - a[1])
      .map(([r, n]) => `${r} ×${n}`)
      .join(', ');
    return {
      state: { ...state, status: 'active', breachSince: input.now, lastTs: input.lastAt, alertId: null },
      effects: [
        {
          type: 'open_alert',
          at: input.now,
          value: input.count,
          threshold: needed,
          message: `${input.count} rejected message${input.count === 1 ? '' : 's'} in the last ${formatSeconds(window)} (${reasons})`,
          historical: false,
        },
      ],
    };
  }
  if (input.count === 0 && state.status === 'active') {
    const back: RuleState = { ...state, status: 'normal', breachSince: null, alertId: null, lastTs: input.lastAt };
    if (state.alertId === null) return { state: back, effects: [] };
    return {
      state: back,
      effects: [
        {
          type: 'resolve_alert',
          alertId: state.alertId,
          at: input.now,
          value: 0,
          message: `no rejected message for ${formatSeconds(window)}`,
        },
      ],
    };
  }
  return { state, effects: [] };
}
