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

  it('runs again when a tick says work is due, sooner than the interval', async () => {
    const at: number[] = [];
    const loop = startLoop(
      'due',
      60_000,
      async () => {
        at.push(Date.now());
        return at.length < 3 ? { nextInMs: 20 } : undefined;
      },
      quiet,
    );
    await waitFor(() => at.length === 3, { timeoutMs: 5_000 });
    await new Promise((r) => setTimeout(r, 50));
    await loop.stop();
    expect(at).toHaveLength(3); // then the 60 s interval
    expect((at[2] as number) - (at[0] as number)).toBeGreaterThanOrEqual(38);
  });

  it('kick(inMs) wakes it no later than then, and never postpones a sooner tick', async () => {
    let ticks = 0;
    const loop = startLoop('kicked', 60_000, async () => void ticks++, quiet, { immediate: false });
    loop.kick(30);
    loop.kick(50_000); // later than the armed 30 ms: changes nothing
    await waitFor(() => ticks === 1, { timeoutMs: 5_000 });
    await loop.stop();
  });
});
