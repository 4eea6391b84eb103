import { describe, expect, it } from 'vitest';
import { redeliveryDelayMs, sleepUnless } from './backoff.js';

describe('redeliveryDelayMs', () => {
  it('starts short, doubles, and is capped', () => {
    expect([1, 2, 3, 4].map(redeliveryDelayMs)).toEqual([50, 100, 200, 400]);
    expect(redeliveryDelayMs(30)).toBe(5_000);
    expect(redeliveryDelayMs(0)).toBe(50);
  });
});

describe('sleepUnless', () => {
  it('returns early once stop() holds', async () => {
    const started = Date.now();
    await sleepUnless(10_000, () => Date.now() - started > 60);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
