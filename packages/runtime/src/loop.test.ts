import { waitFor } from '@telemetry/testing';
import { describe, expect, it } from 'vitest';
import { startLoop } from './loop.js';

const quiet = { warn: () => {} };

describe('startLoop', () => {
  it('runs at once, then on its interval, never two ticks at once', async () => {
    let active = 0;
    let maxActive = 0;
    let ticks = 0;
    const loop = startLoop(
      't',
      5,
      async () => {
        active++;
        maxActive = Math.max(maxActive, active);
        await new Promise((r) => setTimeout(r, 10));
        active--;
        ticks++;
      },
      quiet,
    );
    loop.kick();
    loop.kick();
    await waitFor(() => ticks >= 3, { timeoutMs: 5_000 });
    await loop.stop();
    const after = ticks;
    await new Promise((r) => setTimeout(r, 30));
    expect(ticks).toBe(after);
    expect(maxActive).toBe(1);
  });

  it('logs a failing tick and goes on', async () => {
    const warnings: unknown[] = [];
    let ticks = 0;
    const loop = startLoop(
      'failing',
      1,
      async () => {
        ticks++;
        throw new Error('boom');
      },
      { warn: (obj) => warnings.push(obj) },
    );
    await waitFor(() => ticks >= 2, { timeoutMs: 5_000 });
    await loop.stop();
    expect(warnings.length).toBeGreaterThanOrEqual(1);
    expect(warnings[0]).toMatchObject({ loop: 'failing' });
  });

  it('runs again at once while a tick reports more work', async () => {
    let left = 3;
    const loop = startLoop('drain', 60_000, async () => --left > 0, quiet);
    await waitFor(() => left === 0, { timeoutMs: 5_000 });
    await loop.stop();
    expect(left).toBe(0);
  });
});
