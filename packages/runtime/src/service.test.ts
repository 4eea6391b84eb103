import { describe, expect, it } from 'vitest';
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
});
