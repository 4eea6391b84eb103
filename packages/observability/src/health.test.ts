import { describe, expect, it } from 'vitest';
import { createHealth } from './health.js';

describe('health', () => {
  it('is ready only when every check passes, and a throwing check counts as failing', async () => {
    const health = createHealth();
    health.addReadiness('bus', () => true);
    expect(await health.readiness()).toEqual({ ready: true, checks: { bus: true } });
    health.addReadiness('store', async () => {
      throw new Error('down');
    });
    expect(await health.readiness()).toEqual({ ready: false, checks: { bus: true, store: false } });
  });
});
