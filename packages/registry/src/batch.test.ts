import { describe, expect, it } from 'vitest';
import { createBatchLoader } from './batch.js';

describe('createBatchLoader', () => {
  it('sends a lone lookup at once, and the lookups made while loads are in flight as one batch', async () => {
    const calls: string[][] = [];
    const gates: (() => void)[] = [];
    const get = createBatchLoader<string, string>(
      (keys) => {
        calls.push(keys);
        return new Promise((resolve) => gates.push(() => resolve(new Map(keys.map((k) => [k, `v-${k}`])))));
      },
      { concurrency: 1 },
    );
    const first = get('a');
    await new Promise((r) => setImmediate(r));
    expect(calls).toEqual([['a']]);
    // 'a' is in flight: these wait, across several turns of the event loop, and go out together
    const later = [get('b'), get('c')];
    await new Promise((r) => setImmediate(r));
    later.push(get('b'), get('d'));
    await new Promise((r) => setImmediate(r));
    expect(calls).toEqual([['a']]);
    gates.shift()?.();
    expect(await first).toBe('v-a');
    await new Promise((r) => setTimeout(r, 5));
    expect(calls).toEqual([['a'], ['b', 'c', 'd']]);
    gates.shift()?.();
    expect(await Promise.all(later)).toEqual(['v-b', 'v-c', 'v-b', 'v-d']);
  });

  it("gives each caller of a failed batch the batch's error, and keeps serving the next ones", async () => {
    let fail = true;
    const get = createBatchLoader<string, number>(async (keys) => {
      if (fail) throw new Error('store down');
      return new Map(keys.map((k) => [k, k.length]));
    });
    await expect(Promise.all([get('x'), get('yy')])).rejects.toThrow('store down');
    fail = false;
    expect(await Promise.all([get('x'), get('yy'), get('unknown-key')])).toEqual([1, 2, 11]);
    const missing = createBatchLoader<string, number>(async () => new Map());
    expect(await missing('none')).toBeUndefined();
  });
});
