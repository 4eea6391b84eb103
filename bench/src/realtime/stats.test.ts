import { describe, expect, it } from 'vitest';
import { percentiles } from './stats.js';

describe('percentiles', () => {
  it('reads the nearest-rank percentiles of unsorted samples', () => {
    const samples = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1
    expect(percentiles(samples)).toEqual({ p50: 51, p90: 91, p99: 100, max: 100, n: 100 });
  });

  it('is all zeros without samples', () => {
    expect(percentiles([])).toEqual({ p50: 0, p90: 0, p99: 0, max: 0, n: 0 });
  });
});
