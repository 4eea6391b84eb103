import { describe, expect, it } from 'vitest';
import type { RunResult } from './loadgen/index.js';
import { checkStored } from './stored.js';

const run = (perDevice: RunResult['perDevice']) => ({ perDevice }) as RunResult;

describe('checkStored', () => {
  it('counts acknowledged events that are missing, and events stored twice', () => {
    const r = run([
      { clientId: 'a', published: 3, notAcked: [] },
      { clientId: 'b', published: 2, notAcked: [1] },
    ]);
    const stored: Array<[string, string]> = [
      ['a', 's1-0'],
      ['a', 's1-2'],
      ['a', 's1-2'],
      ['b', 's1-0'],
      ['b', 's1-1'],
    ];
    expect(checkStored('s1', r, stored)).toEqual({ rows: 5, distinct: 4, lost: 1, duplicates: 1, unacked: 1 });
  });

  it('is clean when everything acknowledged is stored once', () => {
    const r = run([{ clientId: 'a', published: 2, notAcked: [] }]);
    expect(
      checkStored('t', r, [
        ['a', 't-0'],
        ['a', 't-1'],
      ]),
    ).toEqual({ rows: 2, distinct: 2, lost: 0, duplicates: 0, unacked: 0 });
  });
});
