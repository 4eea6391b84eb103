import { describe, expect, it } from 'vitest';
import { csvField } from './csv.js';
import { assertStatsBuckets, movingAverage, runningSum } from './stats.js';

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

describe('assertStatsBuckets', () => {
  const at = (iso: string) => new Date(iso);
  it('refuses 130 years of minutes (or hours) without asking the database', () => {
    expect(() => assertStatsBuckets('minute', at('1970-01-01T00:00:00Z'), at('2100-01-01T00:00:00Z'))).toThrow(
      /buckets/,
    );
    expect(() => assertStatsBuckets('hour', at('1970-01-01T00:00:00Z'), at('2100-01-01T00:00:00Z'))).toThrow(/buckets/);
  });
  it('lets through what fits: a week of minutes, 130 years of days or months', () => {
    expect(() => assertStatsBuckets('minute', at('2025-01-01T00:00:00Z'), at('2025-01-07T00:00:00Z'))).not.toThrow();
    expect(() => assertStatsBuckets('day', at('2000-01-01T00:00:00Z'), at('2027-01-01T00:00:00Z'))).not.toThrow();
    expect(() => assertStatsBuckets('month', at('1970-01-01T00:00:00Z'), at('2100-01-01T00:00:00Z'))).not.toThrow();
  });
});
