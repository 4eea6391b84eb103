import { describe, expect, it } from 'vitest';
import { createTtlCache } from './ttl-cache.js';

describe('createTtlCache', () => {
  it('shares one load between concurrent lookups and expires after the ttl', async () => {
    let t = 0;
    let loads = 0;
    const cache = createTtlCache<string, number>({ ttlMs: 100, now: () => t });
    const load = async () => ++loads;
    const [a, b] = await Promise.all([cache.get('k', load), cache.get('k', load)]);
    expect([a, b, loads]).toEqual([1, 1, 1]);
    t = 99;
    expect(await cache.get('k', load)).toBe(1);
    t = 100;
    expect(await cache.get('k', load)).toBe(2);
  });

  it('does not keep failures', async () => {
    const cache = createTtlCache<string, number>({ ttlMs: 1000 });
    await expect(cache.get('k', async () => Promise.reject(new Error('db down')))).rejects.toThrow('db down');
    expect(await cache.get('k', async () => 7)).toBe(7);
  });

  it('evicts the oldest entries past max', async () => {
    const cache = createTtlCache<number, number>({ ttlMs: 1000, max: 2 });
    for (const k of [1, 2, 3]) await cache.get(k, async (x) => x);
    expect(cache.size).toBe(2);
    let reloaded = false;
    await cache.get(1, async () => {
      reloaded = true;
      return 1;
    });
    expect(reloaded).toBe(true);
  });
});
