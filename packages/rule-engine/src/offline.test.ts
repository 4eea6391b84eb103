import { describe, expect, it } from 'vitest';
import { kinds, makeRule } from './fixtures.js';
import { evaluateHeard, evaluateTick, formatSeconds } from './offline.js';
import { initialState } from './types.js';

const rule = makeRule({ kind: 'offline', metric: null, operator: null, threshold: null, offlineFactor: 3 });
const T0 = 1_700_000_000_000;

describe('offline rule', () => {
  it('starts the grace period at the first tick of a device never heard of', () => {
    const out = evaluateTick(rule, initialState(), { now: T0, expectedIntervalS: 60 });
    expect(out.effects).toEqual([]);
    expect(out.state.lastTs).toBe(T0);
  });

  it('raises from the timer once silent for factor x interval, once', () => {
    const heard = evaluateHeard(rule, initialState(), { heardAt: T0, now: T0, expectedIntervalS: 60 }).state;
    expect(evaluateTick(rule, heard, { now: T0 + 179_000, expectedIntervalS: 60 }).effects).toEqual([]);
    const raised = evaluateTick(rule, heard, { now: T0 + 180_000, expectedIntervalS: 60 });
    expect(raised.effects).toEqual([
      {
        type: 'open_alert',
        at: T0 + 180_000,
        value: 180,
        threshold: 180,
        message: 'no data for 3m (expected every 60s)',
        historical: false,
      },
    ]);
    const again = evaluateTick(rule, { ...raised.state, alertId: 'a1' }, { now: T0 + 500_000, expectedIntervalS: 60 });
    expect(again.effects).toEqual([]);
  });

  it('resolves when the device is heard again', () => {
    const raised = evaluateTick(rule, { ...initialState(), lastTs: T0 }, { now: T0 + 200_000, expectedIntervalS: 60 });
    const back = evaluateHeard(
      rule,
      { ...raised.state, alertId: 'a1' },
      { heardAt: T0 + 201_000, now: T0 + 201_000, expectedIntervalS: 60 },
    );
    expect(kinds(back.effects)).toEqual(['resolve_alert']);
    expect(back.state.status).toBe('normal');
  });

  it('does not resolve on backlog data that is itself too old', () => {
    const raised = evaluateTick(rule, { ...initialState(), lastTs: T0 }, { now: T0 + 400_000, expectedIntervalS: 60 });
    const backlog = evaluateHeard(
      rule,
      { ...raised.state, alertId: 'a1' },
      { heardAt: T0 + 10_000, now: T0 + 400_000, expectedIntervalS: 60 },
    );
    expect(backlog.effects).toEqual([]);
  });

  it('takes last_seen known elsewhere into account', () => {
    const out = evaluateTick(
      rule,
      { ...initialState(), lastTs: T0 },
      { now: T0 + 200_000, expectedIntervalS: 60, lastSeen: T0 + 150_000 },
    );
    expect(out.effects).toEqual([]);
  });

  it('formats durations', () => {
    expect(formatSeconds(45_000)).toBe('45s');
    expect(formatSeconds(600_000)).toBe('10m');
    expect(formatSeconds(3 * 3_600_000)).toBe('3h');
  });
});
