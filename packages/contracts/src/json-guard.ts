/**
 * Limits every JSON body and device payload is held to before it is parsed (#20): no NUL
 * character (PostgreSQL text and jsonb refuse U+0000, so such a value would fail in the database
 * after it was acknowledged) and no nesting deeper than `maxDepth` (a 10,000-deep document costs
 * recursion in every consumer and means nothing here). One pass over the bytes, no parse.
 */
export type JsonHazard = 'nul' | 'depth';

/** Default nesting limit: our deepest legitimate document (a rule or a device config) is < 8. */
export const MAX_JSON_DEPTH = 32;

export function scanJson(bytes: Uint8Array | string, maxDepth = MAX_JSON_DEPTH): JsonHazard | null {
  const buf = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i];
    if (c === 0x00) return 'nul';
    if (inString) {
      if (c === 0x5c) {
        // \u0000 is the only way JSON spells NUL inside a string
        if (buf[i + 1] === 0x75 && buf[i + 2] === 0x30 && buf[i + 3] === 0x30 && buf[i + 4] === 0x30) {
          if (buf[i + 5] === 0x30) return 'nul';
        }
        i++; // the escaped character
      } else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > maxDepth) return 'depth';
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return null;
}

/** The refusal's wording, shared by the API, the device routes and the MQTT gateway. */
export function jsonHazardMessage(h: JsonHazard, maxDepth = MAX_JSON_DEPTH): string {
  return h === 'nul'
    ? 'a string contains a NUL character (U+0000), which cannot be stored'
    : `JSON is nested deeper than ${maxDepth} levels`;
}

/** Whether a text (query value, login name, header-derived value) holds a NUL character. */
export function hasNul(s: string): boolean {
  return s.includes('\u0000');
}
