import { describe, expect, it } from 'vitest';
import { kinds, makeRule, replay } from './fixtures.js';
import { presetRule } from './presets.js';
import { evaluateThreshold } from './threshold.js';

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
