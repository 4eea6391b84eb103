import { describe, expect, it, vi } from 'vitest';
import { closeInOrder, stopOnSignals } from './service.js';

function recorder() {
  const lines: string[] = [];
  return {
    lines,
    logger: { info: (_o: object, m: string) => lines.push(m), error: (_o: object, m: string) => lines.push(m) },
  };
}

describe('closeInOrder', () => {
  it('closes in the given order and goes on past a failure', async () => {
    const closed: string[] = [];
    const { lines, logger } = recorder();
    const ok = await closeInOrder(
      [
        { name: 'http', close: () => closed.push('http') },
        {
          name: 'ops',
          close: async () => {
            throw new Error('ops broke');
          },
        },
        { name: 'store', close: async () => closed.push('store') },
      ],
      logger,
      'svc',
    );
    expect(ok).toBe(false);
    expect(closed).toEqual(['http', 'store']);
    expect(lines).toEqual(['svc: error while closing ops']);
  });
});

describe('stopOnSignals', () => {
  it('stops once on the first signal and leaves later signals alone', async () => {
    const closed: string[] = [];
    const { logger } = recorder();
    const before = process.listenerCount('SIGUSR2');
    const stop = stopOnSignals({
      service: 'svc',
      logger,
      signals: ['SIGUSR2'],
      closers: [{ name: 'a', close: () => closed.push('a') }],
    });
    expect(process.listenerCount('SIGUSR2')).toBe(before + 1);
    process.emit('SIGUSR2');
    expect(process.listenerCount('SIGUSR2')).toBe(before);
    await stop('again');
    expect(closed).toEqual(['a']);
    expect(process.exitCode ?? 0).toBe(0);
  });

  it('exits within the bound when a closer hangs', async () => {
    vi.useFakeTimers();
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    try {
      const { lines, logger } = recorder();
      stopOnSignals({
        service: 'svc',
        logger,
        signals: ['SIGUSR2'],
        closers: [{ name: 'stuck', close: () => new Promise<void>(() => undefined) }],
        exitWithinMs: 10_000,
      });
      process.emit('SIGUSR2');
      await vi.advanceTimersByTimeAsync(9_999);
      expect(exit).not.toHaveBeenCalled();
      await vi.advanceTimersByTimeAsync(1);
      expect(exit).toHaveBeenCalledWith(1);
      expect(lines).toContain('svc not stopped after 10 s; exiting anyway');
    } finally {
      exit.mockRestore();
      vi.useRealTimers();
    }
  });
});
