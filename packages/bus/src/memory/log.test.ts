import { describe, expect, it } from 'vitest';
import { PartitionLog, Signal } from './log.js';

const msg = (n: number) => ({ key: 'k', value: Buffer.from(String(n)), headers: {}, timestamp: 0 });

describe('PartitionLog', () => {
  it('assigns offsets, reads from an offset and keeps offsets across trims', () => {
    const log = new PartitionLog();
    for (let i = 0; i < 5; i++) expect(log.append(msg(i))).toBe(i);
    expect(log.read(2, 2).map((m) => m.offset)).toEqual([2, 3]);
    log.trimTo(3);
    expect(log.start).toBe(3);
    expect(log.end).toBe(5);
    expect(log.read(0, 10).map((m) => m.offset)).toEqual([3, 4]);
    expect(log.append(msg(5))).toBe(5);
  });

  it('compacts after many trims without losing messages', () => {
    const log = new PartitionLog();
    for (let i = 0; i < 5000; i++) log.append(msg(i));
    for (let i = 0; i < 4990; i += 7) log.trimTo(i);
    log.trimTo(4990);
    expect(log.read(0, 100).map((m) => m.offset)).toEqual([4990, 4991, 4992, 4993, 4994, 4995, 4996, 4997, 4998, 4999]);
  });
});

describe('Signal.any', () => {
  it('wakes on either signal and unregisters from both', async () => {
    const a = new Signal();
    const b = new Signal();
    const woken = Signal.any([a, b]);
    b.notify();
    await woken;
    // Nothing left registered on a: notifying it must not throw or wake anything twice.
    a.notify();
  });
});
