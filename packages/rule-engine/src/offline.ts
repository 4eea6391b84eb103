import type { Evaluation, Rule, RuleState } from './types.js';

/**
 * Offline rule: no data for offline_factor x the device's expected interval. Unlike the other
 * kinds it runs on wall time: "silent since" only means something against now. Data and presence
 * only move last_ts (the wall time the device was last heard, i.e. the edge's receive time); the
 * timer (cfg.rules.offlineCheckIntervalMs) raises the alert, so a device that stops sending is
 * noticed without any incoming data.
 */
export function offlineLimitMs(rule: Rule, expectedIntervalS: number): number {
  return Math.max(1, rule.offlineFactor * expectedIntervalS * 1000);
}

/** The device was heard at `heardAt` (data received, or a presence change). */
export function evaluateHeard(
  rule: Rule,
  state: RuleState,
  input: { heardAt: number; now: number; expectedIntervalS: number },
): Evaluation {
  const lastTs = Math.max(state.lastTs ?? input.heardAt, input.heardAt);
  return settle(rule, { ...state, lastTs }, input.now, input.expectedIntervalS);
}

/**
 * A timer tick. `lastSeen` is what else knows of the device (device_state.last_seen), merged in.
 * A device never heard of starts its grace period at its first tick.
 */
export function evaluateTick(
  rule: Rule,
  state: RuleState,
  input: { now: number; expectedIntervalS: number; lastSeen?: number | null },
): Evaluation {
  const known = [state.lastTs, input.lastSeen ?? null].filter((x): x is number => x !== null);
  const lastTs = known.length > 0 ? Math.max(...known) : input.now;
  return settle(rule, { ...state, lastTs }, input.now, input.expectedIntervalS);
}

function settle(rule: Rule, state: RuleState, now: number, expectedIntervalS: number): Evaluation {
  const limit = offlineLimitMs(rule, expectedIntervalS);
  const silentMs = now - (state.lastTs ?? now);
  const offline = silentMs >= limit;
  if (offline && state.status !== 'active') {
    return {
      state: { ...state, status: 'active', breachSince: state.lastTs, alertId: null },
      effects: [
        {
          type: 'open_alert',
          at: now,
          value: Math.round(silentMs / 1000),
          threshold: Math.round(limit / 1000),
          message: `no data for ${formatSeconds(silentMs)} (expected every ${formatSeconds(expectedIntervalS * 1000)})`,
          historical: false,
        },
      ],
    };
  }
  if (!offline && state.status === 'active') {
    const back: RuleState = { ...state, status: 'normal', breachSince: null, alertId: null };
    if (state.alertId === null) return { state: back, effects: [] };
    return {
      state: back,
      effects: [
        { type: 'resolve_alert', alertId: state.alertId, at: now, value: null, message: 'device reporting again' },
      ],
    };
  }
  return { state, effects: [] };
}

export function formatSeconds(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  return `${Math.round(s / 3600)}h`;
}
