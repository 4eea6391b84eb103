import type { OutgoingMessage } from '@telemetry/bus';
import { describe, expect, it } from 'vitest';
import { DeviceQueue, type QueuedMessage } from './device-queue.js';
import { Inflight } from './inflight.js';

const item = (topic: string, value: string, log: string[], abandoned = () => false): QueuedMessage => ({
  topic,
  message: { key: 'd', value },
  isAbandoned: abandoned,
  done: (err) => log.push(`${value}:${err ? 'abandoned' : 'ok'}`),
});

describe('DeviceQueue', () => {
  it('publishes runs of one topic as one batch, one batch at a time, in arrival order', async () => {
    const calls: string[][] = [];
    const log: string[] = [];
    let idle = 0;
    let release!: () => void;
    const first = new Promise<void>((r) => {
      release = r;
    });
    const q = new DeviceQueue(
      async (topic, messages: OutgoingMessage[]) => {
        calls.push([topic, ...messages.map((m) => String(m.value))]);
        if (calls.length === 1) await first;
        return true;
      },
      2,
      () => idle++,
    );
    q.push(item('raw', 'a', log));
    q.push(item('raw', 'b', log)); // arrives while 'a' is in flight: next batch
    q.push(item('raw', 'c', log));
    q.push(item('dead', 'd', log));
    q.push(item('raw', 'e', log));
    release();
    await new Promise<void>((r) => setImmediate(r));
    await new Promise<void>((r) => setImmediate(r));
    expect(calls).toEqual([
      ['raw', 'a'],
      ['raw', 'b', 'c'],
      ['dead', 'd'],
      ['raw', 'e'],
    ]);
    expect(log).toEqual(['a:ok', 'b:ok', 'c:ok', 'd:ok', 'e:ok']);
    expect(q.idle).toBe(true);
    expect(idle).toBe(1);
  });

  it('gives up on messages whose session ended, never publishing them', async () => {
    const calls: string[] = [];
    const log: string[] = [];
    let gone = false;
    let release!: () => void;
    const blocked = new Promise<void>((r) => {
      release = r;
    });
    const q = new DeviceQueue(
      async (_t, messages) => {
        calls.push(String(messages[0]?.value));
        await blocked;
        return true;
      },
      10,
      () => undefined,
    );
    q.push(item('raw', 'a', log));
    q.push(item('dead', 'b', log, () => gone));
    q.push(item('raw', 'c', log));
    gone = true;
    release();
    await new Promise<void>((r) => setImmediate(r));
    await new Promise<void>((r) => setImmediate(r));
    expect(calls).toEqual(['a', 'c']);
    expect(log).toEqual(['a:ok', 'b:abandoned', 'c:ok']);
  });
});

describe('Inflight', () => {
  it('holds callers while above the bound and lets them on, in order, once at or under it', () => {
    const seen: number[] = [];
    const inflight = new Inflight(2, (n) => seen.push(n));
    const woken: string[] = [];
    inflight.add();
    inflight.add();
    inflight.whenBelowMax(() => woken.push('now')); // 2 <= 2
    inflight.add();
    inflight.whenBelowMax(() => woken.push('x'));
    inflight.add();
    inflight.whenBelowMax(() => woken.push('y'));
    expect(woken).toEqual(['now']);
    inflight.remove(); // 3: still above
    expect(woken).toEqual(['now']);
    inflight.remove(); // 2
    expect(woken).toEqual(['now', 'x', 'y']);
    inflight.remove();
    inflight.remove();
    expect(inflight.size).toBe(0);
    expect(seen.at(-1)).toBe(0);
  });
});
