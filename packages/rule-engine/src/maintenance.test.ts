import { describe, expect, it } from 'vitest';
import { kinds, makeRule, replay } from './fixtures.js';
import { evaluateMaintenance } from './maintenance.js';

const rule = makeRule({
  kind: 'maintenance',
  name: 'Ozone service',
  metric: 'counter',
  operator: null,
  threshold: null,
  serviceInterval: 100,
});
const s = (ts: number, value: number) => ({ ts, value, historical: false });
const run = (values: number[], start?: Parameters<typeof replay>[2]) =>
  replay(
    (st, x: ReturnType<typeof s>) => evaluateMaintenance(rule, st, x, 'machine 7'),
    values.map((v, i) => s(i + 1, v)),
    start,
  );

describe('evaluateMaintenance', () => {
  it('takes the first value as baseline and opens one alert + task when the interval is passed', () => {
    const out = run([1000, 1050, 1099, 1100, 1130, 1250]);
    expect(kinds(out.effects)).toEqual(['open_alert', 'create_task']);
    expect(out.effects[1]).toMatchObject({ title: 'Ozone service on machine 7', value: 1100 });
    expect(out.state).toMatchObject({ status: 'active', baseline: 1000 });
  });

  it('resolves when the API moved the baseline and starts the next cycle from it', () => {
    const first = run([0, 100]);
    const serviced = { ...first.state, baseline: 100 }; // the API finished the task at 100
    const second = replay(
      (st, x: ReturnType<typeof s>) => evaluateMaintenance(rule, st, x),
      [s(10, 120), s(11, 199), s(12, 200)],
      serviced,
    );
    expect(kinds(second.effects)).toEqual(['resolve_alert', 'open_alert', 'create_task']);
    expect(second.effects[2]).toMatchObject({ value: 200 });
  });

  it('follows a counter reset', () => {
    const out = run([500, 10, 109, 110]);
    expect(kinds(out.effects)).toEqual(['open_alert', 'create_task']);
    expect(out.state.baseline).toBe(10);
  });

  it('ignores a redelivered sample', () => {
    const out = replay(
      (st, x: ReturnType<typeof s>) => evaluateMaintenance(rule, st, x),
      [s(1, 0), s(2, 100), s(2, 100), s(1, 100)],
    );
    expect(kinds(out.effects)).toEqual(['open_alert', 'create_task']);
  });
});
