import { describe, expect, it } from 'vitest';
import { csvField } from './csv.js';

describe('csvField', () => {
  it('finding 8: defuses formulas behind a leading TAB or CR too (CSV injection)', () => {
    expect(csvField('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvField('\t=cmd|calc')).toBe("'\t=cmd|calc");
    expect(csvField('\r=cmd|calc')).toBe(`"'\r=cmd|calc"`);
    expect(csvField('-12.5')).toBe('-12.5'); // numbers stay numbers
    expect(csvField('plain')).toBe('plain');
  });
});
