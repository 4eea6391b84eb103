import { evaluateMaintenance } from './maintenance.js';
import { evaluateHeard } from './offline.js';
import { evaluateThreshold } from './threshold.js';
import type { Evaluation, Rule, RuleState } from './types.js';

export { evaluateInvalidData, invalidDataWindowMs } from './invalid-data.js';
export { evaluateMaintenance } from './maintenance.js';
export { evaluateHeard, evaluateTick, offlineLimitMs } from './offline.js';
export { forAsset, type PresetName, type PresetOptions, presetRule, type RuleDraft } from './presets.js';
export { describeBreach, evaluateThreshold, thresholdLimits } from './threshold.js';
export * from './types.js';

/** One accepted telemetry event as the evaluators see it. */
export interface Observation {
  /** Device time, ms. */
  ts: number;
  /** Edge receive time (wall clock), ms: what "last heard" means for offline rules. */
  receivedAt: number;
  metrics: Record<string, number>;
  historical: boolean;
  now: number;
  expectedIntervalS: number;
  /** Device/asset name for texts. */
  label: string;
}

/** Does this rule look at this event at all? (Threshold/maintenance only at events carrying their metric.) */
export function appliesTo(rule: Rule, obs: Observation): boolean {
  if (rule.kind === 'offline') return true;
  // judged on the rejections the pipeline keeps, by a timer (invalid-data-timer.ts), never on accepted data
  if (rule.kind === 'invalid_data') return false;
  return rule.metric !== null && typeof obs.metrics[rule.metric] === 'number';
}

/** Dispatches an event to its rule kind's evaluator; callers check `appliesTo` first. */
export function evaluateObservation(rule: Rule, state: RuleState, obs: Observation): Evaluation {
  if (rule.kind === 'offline') {
    return evaluateHeard(rule, state, {
      heardAt: obs.receivedAt,
      now: obs.now,
      expectedIntervalS: obs.expectedIntervalS,
    });
  }
  const value = rule.metric === null ? undefined : obs.metrics[rule.metric];
  if (value === undefined) return { state, effects: [] };
  const sample = { ts: obs.ts, value, historical: obs.historical };
  return rule.kind === 'threshold'
    ? evaluateThreshold(rule, state, sample)
    : evaluateMaintenance(rule, state, sample, obs.label);
}
export { type BacktestEpisode, type BacktestResult, backtest, type HistorySample } from './backtest.js';
