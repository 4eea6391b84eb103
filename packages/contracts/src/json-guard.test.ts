import { describe, expect, it } from 'vitest';
import { scanJson } from './json-guard.js';

describe('scanJson', () => {
  it('finds NUL as a raw byte or a \\u0000 escape, and only inside strings as an escape', () => {
    expect(scanJson('{"a":"x\\u0000y"}')).toBe('nul');
    expect(scanJson(Buffer.from([0x7b, 0x00, 0x7d]))).toBe('nul');
    expect(scanJson('{"a\\u0000":1}')).toBe('nul');
    expect(scanJson('{"a":"\\\\u0000"}')).toBeNull(); // an escaped backslash, then the text u0000
    expect(scanJson('{"a":"\\u00001"}')).toBe('nul');
    expect(scanJson('{"a":"\\u0001"}')).toBeNull();
  });
  it('refuses nesting past the limit, counting brackets outside strings only', () => {
    expect(scanJson(`${'['.repeat(10_000)}${']'.repeat(10_000)}`)).toBe('depth');
    expect(scanJson(`${'['.repeat(32)}${']'.repeat(32)}`)).toBeNull();
    expect(scanJson(`{"a":"${'['.repeat(100)}"}`)).toBeNull();
    expect(scanJson('{"a":[{"b":[1,2]}]}', 3)).toBe('depth');
  });
});
