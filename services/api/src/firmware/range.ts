/** What a GET of `size` bytes answers for its `Range` / `If-Range` headers (RFC 9110 §14). */
export type RangeAnswer =
  | { kind: 'full' }
  | { kind: 'partial'; start: number; end: number }
  | { kind: 'unsatisfiable' };

/**
 * One byte range, as firmware resuming a download asks for it (`bytes=N-`, ESP-IDF
 * esp_https_ota with partial download, curl -C -). Several ranges, or a header that does not
 * parse, are ignored and the whole image is sent, which RFC 9110 §14.2 allows; an `If-Range`
 * naming another entity tag means the image changed: the whole of it, never a mixed file.
 */
export function answerRange(
  range: string | undefined,
  size: number,
  opts: { ifRange?: string; etag: string },
): RangeAnswer {
  if (!range) return { kind: 'full' };
  if (opts.ifRange !== undefined && opts.ifRange !== opts.etag) return { kind: 'full' };
  const m = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
  if (!m) return { kind: 'full' };
  const [, a = '', b = ''] = m;
  if (a === '' && b === '') return { kind: 'full' };
  if (a === '') {
    // a suffix: the last b bytes
    const n = Number(b);
    if (n === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(a);
  if (b !== '' && Number(b) < start) return { kind: 'full' }; // invalid: ignored (§14.1.1)
  if (start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'partial', start, end: b === '' ? size - 1 : Math.min(Number(b), size - 1) };
}
