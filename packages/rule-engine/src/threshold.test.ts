import { describe, expect, it } from 'vitest';
import { kinds, makeRule, replay } from './fixtures.js';
import { evaluateThreshold, thresholdLimits } from './threshold.js';
import { initialState } from './types.js';

const s = (ts: number, value: number, historical = false) => ({ ts: ts * 1000, value, historical });

describe('evaluateThreshold', () => {
  it('raises one alert for a value oscillating inside the hysteresis band', () => {
    const rule = makeRule({ threshold: 80, clearThreshold: 75 });
    const values = [70, 81, 79, 82, 76, 85, 77, 81, 78];
    const out = replay(
      (st, x: { ts: number; value: number; historical: boolean }) => evaluateThreshold(rule, st, x),
      values.map((v, i) => s(i, v)),
    );
    expect(kinds(out.effects)).toEqual(['open_alert']);
    expect(out.state.status).toBe('active');
  });

  it('resolves once the value is back past the clear threshold', () => {
    const rule = makeRule({ threshold: 80, clearThreshold: 75 });
    const out = replay(
      (st, x: ReturnType<typeof s>) => evaluateThreshold(rule, st, x),
      [s(0, 90), s(1, 76), s(2, 75), s(3, 90)],
    );
    expect(kinds(out.effects)).toEqual(['open_alert', 'resolve_alert', 'open_alert']);
    expect(out.effects[1]).toMatchObject({ alertId: 'a1', at: 2000, value: 75 });
  });

  it('raises nothing for a breach shorter than the minimum duration', () => {
    const rule = makeRule({ minDurationS: 60 });
    const out = replay(
      (st, x: ReturnType<typeof s>) => evaluateThreshold(rule, st, x),
      [s(0, 90), s(30, 95), s(59, 91), s(60, 70), s(100, 90)],
    );
    expect(out.effects).toEqual([]);
    expect(out.state).toMatchObject({ status: 'pending', breachSince: 100_000 });
  });

  it('raises when a sample arrives at or after breach start + minimum duration', () => {
    const rule = makeRule({ minDurationS: 60 });
    const out = replay(
      (st, x: ReturnType<typeof s>) => evaluateThreshold(rule, st, x),
      [s(0, 90), s(30, 95), s(60, 91), s(90, 99)],
    );
    expect(out.effects).toEqual([
      { type: 'open_alert', at: 60_000, value: 91, threshold: 80, message: 'temperature 91 > 80', historical: false },
    ]);
  });

  it('applies the minimum duration to clearing too', () => {
    const rule = makeRule({ minDurationS: 10 });
    const steps = [s(0, 90), s(10, 90), s(11, 70), s(15, 85), s(16, 70), s(25, 70), s(26, 70)];
    const out = replay((st, x: ReturnType<typeof s>) => evaluateThreshold(rule, st, x), steps);
    expect(kinds(out.effects)).toEqual(['open_alert', 'resolve_alert']);
    expect(out.effects[1]).toMatchObject({ at: 26_000 });
  });

  it('ignores a redelivered or older sample', () => {
    const rule = makeRule();
    const first = evaluateThreshold(rule, initialState(), s(10, 90));
    expect(kinds(first.effects)).toEqual(['open_alert']);
    const again = evaluateThreshold(rule, { ...first.state, alertId: 'a1' }, s(10, 90));
    expect(again.effects).toEqual([]);
    const older = evaluateThreshold(rule, { ...first.state, alertId: 'a1' }, s(5, 10));
    expect(older.effects).toEqual([]);
    expect(older.state.lastTs).toBe(10_000);
  });

  it('marks an alert raised from late data historical', () => {
    const out = evaluateThreshold(makeRule(), initialState(), s(1, 99, true));
    expect(out.effects[0]).toMatchObject({ type: 'open_alert', historical: true });
  });

  it('ends a manually resolved episode silently when the value clears', () => {
    const rule = makeRule();
    const opened = evaluateThreshold(rule, initialState(), s(0, 90));
    // the API resolved it: the edge loads the state with alertId null
    const stillHigh = evaluateThreshold(rule, { ...opened.state, alertId: null }, s(1, 95));
    expect(stillHigh.effects).toEqual([]);
    const cleared = evaluateThreshold(rule, stillHigh.state, s(2, 10));
    expect(cleared.effects).toEqual([]);
    expect(cleared.state.status).toBe('normal');
  });

  it('handles a band with hysteresis on both edges', () => {
    const rule = makeRule({ operator: 'outside', threshold: 2, thresholdHigh: 8, clearThreshold: 3, clearHigh: 7 });
    const out = replay(
      (st, x: ReturnType<typeof s>) => evaluateThreshold(rule, st, x),
      [s(0, 5), s(1, 9), s(2, 7.5), s(3, 6), s(4, 1), s(5, 2.5), s(6, 3)],
    );
    expect(kinds(out.effects)).toEqual(['open_alert', 'resolve_alert', 'open_alert', 'resolve_alert']);
    expect(out.effects[0]).toMatchObject({ message: 'temperature 9 outside [2, 8]' });
  });

  it('supports every comparison operator and clamps a clear threshold on the wrong side', () => {
    expect(thresholdLimits(makeRule({ operator: '>=', threshold: 5 }))?.breaches(5)).toBe(true);
    expect(thresholdLimits(makeRule({ operator: '<', threshold: 5 }))?.breaches(5)).toBe(false);
    expect(thresholdLimits(makeRule({ operator: '<=', threshold: 5 }))?.breaches(5)).toBe(true);
    const wrongSide = thresholdLimits(makeRule({ operator: '>', threshold: 80, clearThreshold: 90 }));
    expect(wrongSide?.clears(85)).toBe(false);
    expect(wrongSide?.clears(80)).toBe(true);
    expect(thresholdLimits(makeRule({ threshold: null }))).toBeNull();
  });
});
