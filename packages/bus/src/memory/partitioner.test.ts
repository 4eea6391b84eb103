import { describe, expect, it } from 'vitest';
import { murmur2, partitionFor } from './partitioner.js';

describe('murmur2', () => {
  // Vectors from Kafka's UtilsTest.testMurmur2: the memory bus must hash keys as Kafka does.
  it.each([
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ['abc', 479470107],
  ])('murmur2(%s) = %i', (input, expected) => {
    expect(murmur2(Buffer.from(input))).toBe(expected);
  });
});

describe('partitionFor', () => {
  it('is stable and within range', () => {
    for (const key of ['a', 'device-1', 'device-2', '']) {
      const p = partitionFor(key, 6);
      expect(p).toBeGreaterThanOrEqual(0);
      expect(p).toBeLessThan(6);
      expect(partitionFor(key, 6)).toBe(p);
    }
  });
});
