import { describe, expect, it } from 'vitest';
import { kinds, makeRule, replay } from './fixtures.js';
import { forAsset, presetRule } from './presets.js';
import { evaluateThreshold } from './threshold.js';
import { initialState } from './types.js';

describe('presetRule', () => {
  it('makes low level a threshold rule with hysteresis', () => {
    const draft = presetRule('low_level', { assetType: 'dispenser' });
    expect(draft).toMatchObject({
      kind: 'threshold',
      metric: 'level',
      operator: '<',
      threshold: 15,
      clearThreshold: 20,
      preset: 'low_level',
      assetType: 'dispenser',
    });
    const rule = makeRule(draft);
    const out = replay(
      (st, x: { ts: number; value: number; historical: boolean }) => evaluateThreshold(rule, st, x),
      [40, 14, 16, 14.5, 19, 21, 12].map((value, i) => ({ ts: i, value, historical: false })),
    );
    expect(kinds(out.effects)).toEqual(['open_alert', 'resolve_alert', 'open_alert']);
  });

  it('keeps the preset gap when the threshold is moved, and takes options', () => {
    const draft = presetRule('low_battery', { deviceId: 'd1', threshold: 30, severity: 'critical' });
    expect(draft).toMatchObject({
      metric: 'battery',
      threshold: 30,
      clearThreshold: 35,
      minDurationS: 300,
      severity: 'critical',
    });
  });

  it('wants exactly one target', () => {
    expect(() => presetRule('low_level', {})).toThrow(RangeError);
    expect(() => presetRule('low_level', { deviceId: 'd', assetId: 'a' })).toThrow(RangeError);
  });
});

describe('forAsset', () => {
  const rule = makeRule(presetRule('low_level', { assetType: 'dispenser', threshold: 20, clearThreshold: 25 }));
  it("takes a dispenser's own low_level_threshold, keeping the rule's hysteresis gap", () => {
    expect(forAsset(rule, { low_level_threshold: 30 })).toMatchObject({ threshold: 30, clearThreshold: 35 });
    const out = evaluateThreshold(forAsset(rule, { low_level_threshold: 30 }), initialState(), {
      ts: 1,
      value: 25,
      historical: false,
    });
    expect(out.effects).toMatchObject([{ type: 'open_alert', threshold: 30 }]);
  });
  it('leaves other rules and assets without a numeric threshold alone', () => {
    expect(forAsset(rule, {})).toBe(rule);
    expect(forAsset(rule, { low_level_threshold: 'low' })).toBe(rule);
    const temp = makeRule({ ...rule, metric: 'temperature', operator: '>', preset: null });
    expect(forAsset(temp, { low_level_threshold: 30 })).toBe(temp);
  });
});
