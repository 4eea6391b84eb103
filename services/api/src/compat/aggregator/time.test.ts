import { describe, expect, it } from 'vitest';
import { seedTime } from './time.js';

describe('seedTime', () => {
  it('writes UTC as +00:00, with fractions only when present', () => {
    expect(seedTime(new Date('2021-01-01T00:10:00Z'))).toBe('2021-01-01T00:10:00+00:00');
    expect(seedTime('2022-01-21T10:56:18.950Z')).toBe('2022-01-21T10:56:18.950+00:00');
  });
});
