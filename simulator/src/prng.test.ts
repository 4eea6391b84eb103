import { describe, expect, it } from 'vitest';
import { createRng, deriveSeed, mulberry32 } from './prng.js';

describe('prng', () => {
  it('replays the same stream for the same seed, another for another seed', () => {
    const a = Array.from({ length: 5 }, mulberry32(42));
    const b = Array.from({ length: 5 }, mulberry32(42));
    const c = Array.from({ length: 5 }, mulberry32(43));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('stays in range', () => {
    const rng = createRng(1);
    for (let i = 0; i < 10_000; i++) {
      const x = rng.next();
      expect(x >= 0 && x < 1).toBe(true);
      const n = rng.int(3, 5);
      expect(n >= 3 && n <= 5 && Number.isInteger(n)).toBe(true);
    }
  });

  it('chance(p) hits about p of the time, and chance(0) never', () => {
    const rng = createRng(7);
    let hits = 0;
    for (let i = 0; i < 20_000; i++) if (rng.chance(0.25)) hits++;
    expect(hits / 20_000).toBeGreaterThan(0.23);
    expect(hits / 20_000).toBeLessThan(0.27);
    expect(Array.from({ length: 1000 }, () => rng.chance(0)).some(Boolean)).toBe(false);
  });

  it('derives distinct seeds per part', () => {
    expect(deriveSeed(42, 'AA', 'values')).toBe(deriveSeed(42, 'AA', 'values'));
    expect(deriveSeed(42, 'AA', 'values')).not.toBe(deriveSeed(42, 'AA', 'faults'));
    expect(deriveSeed(42, 'AA')).not.toBe(deriveSeed(42, 'AB'));
  });
});
