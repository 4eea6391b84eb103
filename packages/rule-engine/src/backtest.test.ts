import { describe, expect, it } from 'vitest';
import { backtest, type HistorySample } from './backtest.js';
import { makeRule } from './fixtures.js';

const T0 = 1_700_000_000_000;
const at = (s: number, metrics: Record<string, number>): HistorySample => ({
  ts: T0 + s * 1000,
  receivedAt: T0 + s * 1000,
  metrics,
});

describe('backtest', () => {
  it('a threshold rule with a minimum duration fires once the breach lasted, and clears', () => {
    const rule = makeRule({ metric: 'temperature', operator: '>', threshold: 80, minDurationS: 60 });
    const samples = [
      at(0, { temperature: 70 }),
      at(30, { temperature: 85 }),
      at(60, { temperature: 86 }), // 30 s into the breach: pending
      at(90, { temperature: 90 }), // 60 s: fires
      at(120, { temperature: 70 }),
      at(180, { temperature: 70 }), // cleared for 60 s
      at(200, { humidity: 3 }), // not its metric
    ];
    const out = backtest(rule, { samples, expectedIntervalS: 30, now: T0 + 300_000 });
    expect(out.evaluated).toBe(6);
    expect(out.episodes).toEqual([
      {
        openedAt: T0 + 90_000,
        resolvedAt: T0 + 180_000,
        value: 90,
        threshold: 80,
        message: 'temperature 90 > 80',
        task: null,
      },
    ]);
  });

  it('an offline rule fires at the silence limit and clears when the device is heard again', () => {
    const rule = makeRule({ kind: 'offline', metric: null, operator: null, threshold: null, offlineFactor: 2 });
    const samples = [at(0, { v: 1 }), at(60, { v: 1 }), at(400, { v: 1 }), at(460, { v: 1 })];
    const out = backtest(rule, { samples, expectedIntervalS: 60, now: T0 + 1000_000 });
    expect(out.episodes.map((e) => [e.openedAt - T0, e.resolvedAt === null ? null : e.resolvedAt - T0])).toEqual([
      [180_000, 400_000],
      [580_000, null], // silent since 460 s at the end of the window
    ]);
  });

  it('a maintenance rule names the task it would have created', () => {
    const rule = makeRule({ kind: 'maintenance', name: 'Lamp', metric: 'counter', serviceInterval: 100 });
    const out = backtest(rule, {
      samples: [at(0, { counter: 10 }), at(10, { counter: 60 }), at(20, { counter: 115 })],
      expectedIntervalS: 10,
      label: 'machine 7',
      now: T0 + 60_000,
    });
    expect(out.episodes).toHaveLength(1);
    expect(out.episodes[0]).toMatchObject({ openedAt: T0 + 20_000, resolvedAt: null, task: 'Lamp on machine 7' });
  });

  it('an invalid_data rule counts rejections in its window and clears after a quiet window', () => {
    const rule = makeRule({ kind: 'invalid_data', metric: null, operator: null, threshold: 2, minDurationS: 60 });
    const rejections = [
      { at: T0, reason: 'not_json' },
      { at: T0 + 10_000, reason: 'schema_invalid' },
      { at: T0 + 200_000, reason: 'not_json' },
    ];
    const out = backtest(rule, { samples: [], rejections, expectedIntervalS: 60, now: T0 + 400_000 });
    expect(out.evaluated).toBe(3);
    expect(out.episodes).toEqual([
      expect.objectContaining({ openedAt: T0 + 10_000, resolvedAt: T0 + 70_000, value: 2, threshold: 2 }),
    ]);
  });
});
