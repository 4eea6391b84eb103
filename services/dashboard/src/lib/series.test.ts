import { describe, expect, it } from 'vitest';
import { addReading, toColumns } from './series.js';

describe('series columns', () => {
  const points = [
    { bucket: '2025-01-01T00:01:00.000Z', metric: 'temp', values: { avg: 22, min: 21, max: 23, count: 2 } },
    { bucket: '2025-01-01T00:00:00.000Z', metric: 'temp', values: { avg: 20, min: 20, max: 20, count: 1 } },
    { bucket: '2025-01-01T00:00:00.000Z', metric: 'hum', values: { avg: 50 } },
  ];

  it('orders one metric by bucket, in seconds', () => {
    const c = toColumns(points, 'temp');
    expect(c.x).toEqual([1735689600, 1735689660]);
    expect(c.avg).toEqual([20, 22]);
  });

  it('folds a live reading into its bucket or appends a new one', () => {
    const c = toColumns(points, 'temp');
    const same = addReading(c, Date.parse('2025-01-01T00:01:30Z'), 25, 60_000);
    expect(same.avg[1]).toBe(23);
    expect(same.max[1]).toBe(25);
    expect(same.count[1]).toBe(3);
    const next = addReading(c, Date.parse('2025-01-01T00:02:05Z'), 30, 60_000);
    expect(next.x).toHaveLength(3);
    expect(next.avg[2]).toBe(30);
    const old = addReading(c, Date.parse('2024-12-31T00:00:00Z'), 1, 60_000);
    expect(old).toBe(c);
  });
});
