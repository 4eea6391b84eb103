import { describe, expect, it } from 'vitest';
import { attributesProblem, parseReport } from './report.js';

describe('parseReport', () => {
  it('reads the documented shape', () => {
    expect(parseReport(JSON.stringify({ version: 3, reported: { interval_s: 30 } }))).toEqual({
      version: 3,
      reported: { interval_s: 30 },
    });
  });

  it('says why a payload is not a report', () => {
    expect(parseReport('x')).toEqual({ invalid: 'report is not JSON' });
    expect(parseReport('[]')).toEqual({ invalid: 'report is not a JSON object' });
    expect(parseReport({ reported: {} })).toMatchObject({ invalid: expect.stringContaining('version') });
    expect(parseReport({ version: -1, reported: {} })).toMatchObject({ invalid: expect.stringContaining('version') });
    expect(parseReport({ version: 1 })).toEqual({ invalid: 'report has no "reported" object' });
    expect(parseReport({ version: 1, reported: { 'bad key': 1 } })).toMatchObject({
      invalid: expect.stringContaining('bad key'),
    });
  });

  it('bounds the attributes', () => {
    expect(attributesProblem({ a: 'x'.repeat(9_000) })).toContain('bytes');
    expect(attributesProblem(Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, i])))).toContain('64');
    expect(attributesProblem({ interval_s: 30 })).toBeUndefined();
  });
});
