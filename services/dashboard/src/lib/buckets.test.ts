import { describe, expect, it } from 'vitest';
import { pickBucket, pointsForWidth } from './buckets.js';

const MIN = 60_000;
const DAY = 86_400_000;

describe('pickBucket', () => {
  it('uses 1-minute rollups for short ranges, never raw data', () => {
    expect(pickBucket(0, 60 * MIN, 400).id).toBe('1m');
    expect(pickBucket(0, MIN, 400).id).toBe('1m');
    expect(pickBucket(0, 0, 400).id).toBe('1m');
  });

  it('grows the bucket with the range so the point count stays bounded', () => {
    expect(pickBucket(0, DAY, 400).id).toBe('5m'); // 288 points
    expect(pickBucket(0, 7 * DAY, 400).id).toBe('1h'); // 168 points
    expect(pickBucket(0, 365 * DAY, 400).id).toBe('1d'); // 365 points
    expect(pickBucket(0, 365 * DAY, 100).id).toBe('1w');
    expect(pickBucket(0, 20 * 365 * DAY, 100).id).toBe('1M');
  });

  it('budgets points by chart width', () => {
    expect(pointsForWidth(320)).toBe(160);
    expect(pointsForWidth(10)).toBe(60);
    expect(pointsForWidth(10_000)).toBe(1500);
  });
});
