import { describe, expect, it } from 'vitest';
import { duration, parseBenchArgs } from './args.js';

describe('parseBenchArgs', () => {
  it('defaults to the full run on both backends', () => {
    const o = parseBenchArgs([]);
    expect(o.backends).toEqual(['embedded', 'kafka']);
    expect(o.rates).toEqual([1000, 2500, 5000, 10000]);
    expect(o.durationMs).toBe(20_000);
    expect(o.ceilings).toEqual(['mqtt', 'kafka', 'copy']);
    expect(o.out).toBe('BENCHMARKS.md');
  });

  it('smoke: embedded, one low rate, no ceilings, nothing written', () => {
    const o = parseBenchArgs(['--smoke']);
    expect(o).toMatchObject({
      backends: ['embedded'],
      rates: [200],
      ceilings: [],
      out: undefined,
      connectStorm: 0,
      rollupRequests: 0,
    });
  });

  it('reads rates, durations and the broker from the environment', () => {
    const o = parseBenchArgs(['--backend', 'kafka', '--rates', '500, 1500', '--duration', '3s', '--ceilings', 'none'], {
      KAFKA_BROKERS: '127.0.0.1:19092',
    });
    expect(o).toMatchObject({
      backends: ['kafka'],
      rates: [500, 1500],
      durationMs: 3000,
      ceilings: [],
      brokers: ['127.0.0.1:19092'],
    });
  });

  it('refuses what it does not know, with the help text', () => {
    expect(() => parseBenchArgs(['--bogus'])).toThrow(/Usage: pnpm bench/);
    expect(() => parseBenchArgs(['--backend', 'nats'])).toThrow(/--backend/);
    expect(() => parseBenchArgs(['--rates', '0'])).toThrow(/--rates/);
  });

  it('parses durations', () => {
    expect(duration('500ms', 'x')).toBe(500);
    expect(duration('2m', 'x')).toBe(120_000);
    expect(duration('1.5', 'x')).toBe(1500);
  });
});
