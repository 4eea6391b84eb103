import { evaluateInvalidData, invalidDataWindowMs } from './invalid-data.js';
import { evaluateMaintenance } from './maintenance.js';
import { evaluateHeard, evaluateTick, offlineLimitMs } from './offline.js';
import { evaluateThreshold } from './threshold.js';
import { type Effect, type Evaluation, initialState, type Rule, type RuleState } from './types.js';

/** One stored reading of the device, as the history gives it. */
export interface HistorySample {
  /** Device time, ms. */
  ts: number;
  /** When the edge received it (wall clock), ms: what "heard" means for offline rules. */
  receivedAt: number;
  metrics: Record<string, number>;
}

export interface BacktestInput {
  /** Oldest first. */
  samples: HistorySample[];
  /** invalid_data: when the device's messages were refused (ms, oldest first) and why. */
  rejections?: { at: number; reason: string }[];
  expectedIntervalS: number;
  /** Device/asset name for texts (maintenance task titles). */
  label?: string;
  /** End of the window (wall clock, ms): an offline or invalid-data episode still open then stays open. */
  now: number;
}

/** An alert the rule would have raised: when, with what, and when it would have cleared (null: still open). */
export interface BacktestEpisode {
  openedAt: number;
  resolvedAt: number | null;
  value: number | null;
  threshold: number | null;
  message: string;
  /** maintenance: the task that would have been created with it. */
  task: string | null;
}

export interface BacktestResult {
  /** Steps the evaluator saw (samples carrying the metric, or rejections). */
  evaluated: number;
  episodes: BacktestEpisode[];
}

/**
 * "Would this rule have fired?": the kind's evaluator run over a device's history from a fresh
 * state, exactly as the rules worker runs it on live data (same functions), with the timers of
 * the wall-clock kinds (offline, invalid data) ticked at the moments they would have changed.
 */
export function backtest(rule: Rule, input: BacktestInput): BacktestResult {
  const episodes: BacktestEpisode[] = [];
  let state: RuleState = initialState();
  let evaluated = 0;
  const step = (out: Evaluation) => {
    state = out.state;
    for (const e of out.effects) record(e);
  };
  const record = (e: Effect) => {
    if (e.type === 'open_alert') {
      episodes.push({
        openedAt: e.at,
        resolvedAt: null,
        value: e.value,
        threshold: e.threshold,
        message: e.message,
        task: null,
      });
      state = { ...state, alertId: `backtest-${episodes.length}` };
    } else if (e.type === 'resolve_alert') {
      const open = episodes[episodes.length - 1];
      if (open && open.resolvedAt === null) open.resolvedAt = e.at;
    } else {
      const open = episodes[episodes.length - 1];
      if (open) open.task = e.title;
    }
  };

  if (rule.kind === 'offline') {
    const limit = offlineLimitMs(rule, input.expectedIntervalS);
    for (const s of input.samples) {
      // the timer would have ticked once the silence reached the limit, before this sample came
      if (state.lastTs !== null && s.receivedAt - state.lastTs >= limit) {
        step(evaluateTick(rule, state, { now: state.lastTs + limit, expectedIntervalS: input.expectedIntervalS }));
      }
      evaluated++;
      step(
        evaluateHeard(rule, state, {
          heardAt: s.receivedAt,
          now: s.receivedAt,
          expectedIntervalS: input.expectedIntervalS,
        }),
      );
    }
    // silent at the end of the window: the timer would have raised it when the limit was reached
    if (state.lastTs !== null && input.now - state.lastTs >= limit) {
      step(evaluateTick(rule, state, { now: state.lastTs + limit, expectedIntervalS: input.expectedIntervalS }));
    }
    return { evaluated, episodes };
  }

  if (rule.kind === 'invalid_data') {
    const window = invalidDataWindowMs(rule);
    const seen: { at: number; reason: string }[] = [];
    const quietTick = (now: number) => {
      const last = seen[seen.length - 1];
      if (state.status === 'active' && last && now >= last.at + window) {
        step(evaluateInvalidData(rule, state, { now: last.at + window, count: 0, lastAt: last.at, reasons: {} }));
      }
    };
    for (const r of input.rejections ?? []) {
      quietTick(r.at);
      seen.push(r);
      const inWindow = seen.filter((x) => x.at > r.at - window);
      const reasons: Record<string, number> = {};
      for (const x of inWindow) reasons[x.reason] = (reasons[x.reason] ?? 0) + 1;
      evaluated++;
      step(evaluateInvalidData(rule, state, { now: r.at, count: inWindow.length, lastAt: r.at, reasons }));
    }
    quietTick(input.now);
    return { evaluated, episodes };
  }

  const metric = rule.metric;
  if (metric === null) return { evaluated, episodes };
  for (const s of input.samples) {
    const value = s.metrics[metric];
    if (typeof value !== 'number') continue;
    evaluated++;
    const sample = { ts: s.ts, value, historical: false };
    step(
      rule.kind === 'threshold'
        ? evaluateThreshold(rule, state, sample)
        : evaluateMaintenance(rule, state, sample, input.label ?? ''),
    );
  }
  return { evaluated, episodes };
}
