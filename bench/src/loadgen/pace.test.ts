import { describe, expect, it } from 'vitest';
import { createPacer } from './pace.js';

describe('createPacer', () => {
  it('hands out rate × elapsed messages, spread evenly over the devices', () => {
    const pacer = createPacer(1000, 3);
    const pending = [0, 0, 0];
    expect(pacer.due(0, pending)).toBe(0);
    expect(pacer.due(10, pending)).toBe(10);
    expect(pacer.due(10, pending)).toBe(0);
    expect(pacer.due(1000, pending)).toBe(990);
    expect(pending.reduce((a, b) => a + b)).toBe(1000);
    expect(Math.max(...pending) - Math.min(...pending)).toBeLessThanOrEqual(1);
  });

  it('never hands out a fraction: a low rate waits for a whole message', () => {
    const pacer = createPacer(1, 2);
    const pending = [0, 0];
    expect(pacer.due(999, pending)).toBe(0);
    expect(pacer.due(1000, pending)).toBe(1);
    expect(pacer.due(2000, pending)).toBe(1);
    expect(pending).toEqual([1, 1]);
  });
});
