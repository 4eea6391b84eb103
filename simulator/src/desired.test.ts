import { describe, expect, it } from 'vitest';
import { createDesiredConfig } from './desired.js';

describe('desired configuration of a virtual device', () => {
  it('applies interval_s once per version and reports it', () => {
    const c = createDesiredConfig();
    expect(c.apply(JSON.stringify({ version: 3, desired: { interval_s: 5, led: 'on' } }))).toBe(
      JSON.stringify({ version: 3, reported: { interval_s: 5 } }),
    );
    expect(c.intervalS).toBe(5);
    // a resend, then an older version: ignored
    expect(c.apply(JSON.stringify({ version: 3, desired: { interval_s: 5 } }))).toBeUndefined();
    expect(c.apply(JSON.stringify({ version: 2, desired: { interval_s: 9 } }))).toBeUndefined();
    expect(c.intervalS).toBe(5);
  });

  it('keeps the interval when the value is out of range, and takes set_interval', () => {
    const c = createDesiredConfig();
    expect(c.apply(JSON.stringify({ version: 1, desired: { interval_s: -1 } }))).toBe(
      JSON.stringify({ version: 1, reported: {} }),
    );
    expect(c.setInterval(0)).toBe(false);
    expect(c.setInterval(2)).toBe(true);
    expect(c.intervalS).toBe(2);
    expect(c.apply('not json')).toBeUndefined();
  });
});
