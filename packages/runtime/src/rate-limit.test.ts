import { describe, expect, it } from 'vitest';
import { createRateLimiter } from './rate-limit.js';

describe('createRateLimiter', () => {
  it('allows a burst of perMinute, then refills over time', () => {
    let t = 0;
    const limiter = createRateLimiter({ perMinute: 60, now: () => t });
    for (let i = 0; i < 60; i++) expect(limiter.take('ip')).toBe(true);
    expect(limiter.take('ip')).toBe(false);
    expect(limiter.take('other')).toBe(true);
    t += 1_000; // one token per second
    expect(limiter.take('ip')).toBe(true);
    expect(limiter.take('ip')).toBe(false);
  });

  it('sweeps idle buckets once it tracks too many keys', () => {
    let t = 0;
    const limiter = createRateLimiter({ perMinute: 10, maxKeys: 3, now: () => t });
    for (const k of ['a', 'b', 'c']) limiter.take(k);
    t += 60_000;
    limiter.take('d');
    expect(limiter.size()).toBe(1);
  });
});
