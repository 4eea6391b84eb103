import { describe, expect, it } from 'vitest';
import { csvField } from './csv.js';
import { movingAverage, runningSum } from './stats.js';

describe('stats helpers', () => {
  it('accumulates and smooths', () => {
    expect(runningSum([1, 2, 3])).toEqual([1, 3, 6]);
    expect(movingAverage([2, 4, 6, 8], 2)).toEqual([2, 3, 5, 7]);
    expect(movingAverage([3, 3, 9], 3)).toEqual([3, 3, 5]);
  });

  it('escapes CSV fields and defuses formulas', () => {
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvField(-3.5)).toBe('-3.5');
    expect(csvField(null)).toBe('');
  });
});
