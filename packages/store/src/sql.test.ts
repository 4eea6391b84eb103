import { describe, expect, it } from 'vitest';
import { MAX_PARAMETERS, maxRowsPerStatement, valuesList } from './sql.js';

describe('valuesList', () => {
  it('numbers placeholders row by row', () => {
    expect(valuesList(2, 2)).toBe('($1,$2),($3,$4)');
    expect(valuesList(1, 3)).toBe('($1,$2,$3)');
  });

  it('takes the rows themselves', () => {
    const rows = [
      ['a', 1],
      ['b', 2],
      ['c', 3],
    ];
    expect(valuesList(rows, 2)).toBe('($1,$2),($3,$4),($5,$6)');
  });

  it('starts after an offset', () => {
    expect(valuesList(2, 1, 3)).toBe('($4),($5)');
  });

  it('rejects empty and fractional shapes', () => {
    expect(() => valuesList(0, 2)).toThrow(RangeError);
    expect(() => valuesList([], 2)).toThrow(RangeError);
    expect(() => valuesList(2, 0)).toThrow(RangeError);
    expect(() => valuesList(1.5, 2)).toThrow(RangeError);
  });

  it('stays within the protocol parameter limit', () => {
    const rows = maxRowsPerStatement(3);
    expect(rows * 3).toBeLessThanOrEqual(MAX_PARAMETERS);
    expect(valuesList(rows, 3).endsWith(`$${rows * 3})`)).toBe(true);
    expect(() => valuesList(rows + 1, 3)).toThrow(/65535/);
  });
});
