import { describe, expect, it } from 'vitest';
import { backoffMs, sleepUnless } from './backoff.js';

describe('backoffMs', () => {
  it('doubles from the base up to the cap', () => {
    const opts = { baseMs: 1000, maxMs: 10_000 };
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffMs(n, opts))).toEqual([1000, 2000, 4000, 8000, 10_000, 10_000]);
  });
  it('treats attempt 0 as the first', () => {
    expect(backoffMs(0, { baseMs: 50, maxMs: 5_000 })).toBe(50);
  });
});

describe('sleepUnless', () => {
  it('returns early once stop() is true', async () => {
    let stop = false;
    const done = sleepUnless(10_000, () => stop);
    stop = true;
    await expect(done).resolves.toBeUndefined();
  });
});
