import { describe, expect, it } from 'vitest';
import { chunks, headersToStrings, toIncoming } from './messages.js';

describe('chunks', () => {
  it('keeps order and bounds each chunk', () => {
    expect(chunks([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunks([], 3)).toEqual([]);
    expect(chunks([1, 2], 0)).toEqual([[1], [2]]);
  });
});

describe('toIncoming', () => {
  it('turns kafkajs buffers and nulls into the port types', () => {
    const m = toIncoming('t', 2, {
      key: Buffer.from('dev-1'),
      value: null,
      timestamp: '1700000000000',
      attributes: 0,
      offset: '41',
      headers: { trace: Buffer.from('abc'), multi: [Buffer.from('x'), 'y'], gone: undefined },
    });
    expect(m).toEqual({
      topic: 't',
      partition: 2,
      offset: '41',
      key: 'dev-1',
      value: Buffer.alloc(0),
      headers: { trace: 'abc', multi: 'x' },
      timestamp: 1700000000000,
    });
    expect(headersToStrings(undefined)).toEqual({});
  });
});
