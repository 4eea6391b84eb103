import { describe, expect, it } from 'vitest';
import { answerRange } from './range.js';

const etag = '"abc"';
const at = (range: string | undefined, size = 1000, ifRange?: string) => answerRange(range, size, { etag, ifRange });

describe('answerRange', () => {
  it('resumes from an offset, a closed range and a suffix', () => {
    expect(at('bytes=400-')).toEqual({ kind: 'partial', start: 400, end: 999 });
    expect(at('bytes=0-99')).toEqual({ kind: 'partial', start: 0, end: 99 });
    expect(at('bytes=900-5000')).toEqual({ kind: 'partial', start: 900, end: 999 });
    expect(at('bytes=-100')).toEqual({ kind: 'partial', start: 900, end: 999 });
    expect(at('bytes=-5000')).toEqual({ kind: 'partial', start: 0, end: 999 });
  });

  it('refuses a range past the end (416)', () => {
    expect(at('bytes=1000-')).toEqual({ kind: 'unsatisfiable' });
    expect(at('bytes=2000-3000')).toEqual({ kind: 'unsatisfiable' });
    expect(at('bytes=-0')).toEqual({ kind: 'unsatisfiable' });
  });

  it('sends the whole image for no range, several ranges, nonsense, or a changed entity', () => {
    expect(at(undefined)).toEqual({ kind: 'full' });
    expect(at('bytes=0-1,5-6')).toEqual({ kind: 'full' });
    expect(at('items=0-1')).toEqual({ kind: 'full' });
    expect(at('bytes=9-3')).toEqual({ kind: 'full' });
    expect(at('bytes=10-', 1000, '"other"')).toEqual({ kind: 'full' });
    expect(at('bytes=10-', 1000, etag)).toEqual({ kind: 'partial', start: 10, end: 999 });
  });
});
