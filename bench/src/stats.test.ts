import { describe, expect, it } from 'vitest';
import { percentiles, Reservoir } from './stats.js';

describe('percentiles', () => {
  it('is zero for no samples', () => {
    expect(percentiles([])).toEqual({ n: 0, p50: 0, p90: 0, p99: 0, max: 0 });
  });

  it('takes the nearest rank', () => {
    const samples = Array.from({ length: 100 }, (_, i) => 100 - i); // 1..100, unsorted
    expect(percentiles(samples)).toEqual({ n: 100, p50: 50, p90: 90, p99: 99, max: 100 });
  });
});

describe('Reservoir', () => {
  it('keeps everything up to its capacity, then a bounded sample of the rest', () => {
    const r = new Reservoir(10);
    for (let i = 0; i < 5; i++) r.add(i);
    expect(r.values).toEqual([0, 1, 2, 3, 4]);
    for (let i = 5; i < 1000; i++) r.add(i);
    expect(r.values).toHaveLength(10);
    expect(r.seen).toBe(1000);
  });
});
