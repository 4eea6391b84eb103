import type { Effect, Evaluation, Rule, RuleState } from './types.js';
import { initialState } from './types.js';

/** A complete rule for unit tests; override what the test is about. */
export function makeRule(overrides: Partial<Rule> = {}): Rule {
  return {
    id: 'r1',
    tenantId: 't1',
    name: 'rule',
    kind: 'threshold',
    deviceId: 'd1',
    assetType: null,
    assetId: null,
    metric: 'temperature',
    operator: '>',
    threshold: 80,
    thresholdHigh: null,
    clearThreshold: null,
    clearHigh: null,
    minDurationS: 0,
    command: null,
    offlineFactor: 3,
    serviceInterval: null,
    taskDueDays: 7,
    severity: 'warning',
    preset: null,
    enabled: true,
    reminderS: 3600,
    ...overrides,
  };
}

/**
 * Feeds steps through an evaluator the way the I/O edge does: an opened alert gets an id
 * ("a1", "a2", ...) written into the state before the next step.
 */
export function replay<I>(
  evaluate: (state: RuleState, input: I) => Evaluation,
  inputs: I[],
  start: RuleState = initialState(),
): { state: RuleState; effects: Effect[] } {
  let state = start;
  const effects: Effect[] = [];
  let n = 0;
  for (const input of inputs) {
    const out = evaluate(state, input);
    state = out.state;
    for (const e of out.effects) {
      effects.push(e);
      if (e.type === 'open_alert') state = { ...state, alertId: `a${++n}` };
    }
  }
  return { state, effects };
}

export const kinds = (effects: Effect[]) => effects.map((e) => e.type);
