import { describe, expect, it } from 'vitest';
import { deltaOf } from './delta.js';

describe('deltaOf', () => {
  it('lists the desired keys reported with another value or not at all', () => {
    expect(deltaOf({ interval_s: 30, led: 'on', mode: 'eco' }, { interval_s: 60, mode: 'eco', rssi: -60 })).toEqual({
      interval_s: { desired: 30, reported: 60 },
      led: { desired: 'on', reported: null },
    });
  });

  it('compares objects by value, whatever the key order', () => {
    expect(deltaOf({ window: { from: 8, to: 18 } }, { window: { to: 18, from: 8 } })).toEqual({});
    expect(deltaOf({ list: [1, 2] }, { list: [2, 1] })).toEqual({ list: { desired: [1, 2], reported: [2, 1] } });
  });
});
