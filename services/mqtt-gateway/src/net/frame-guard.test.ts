import { describe, expect, it } from 'vitest';
import { FrameGuard } from './frame-guard.js';

/** A fixed header with the given remaining length (variable byte integer). */
function header(type: number, remaining: number): number[] {
  const out = [type];
  do {
    let byte = remaining % 128;
    remaining = Math.floor(remaining / 128);
    if (remaining > 0) byte |= 0x80;
    out.push(byte);
  } while (remaining > 0);
  return out;
}

describe('FrameGuard', () => {
  it('refuses a header announcing 256 MB as soon as its length bytes arrive', () => {
    const guard = new FrameGuard(65_536);
    expect(guard.check(Uint8Array.from(header(0x10, 256 * 1024 * 1024 - 1)))).toBe('too_large');
  });

  it('follows packet boundaries across chunks, packets and zero-length packets', () => {
    const guard = new FrameGuard(100);
    const bytes = [
      ...header(0x30, 90),
      ...new Array(90).fill(0),
      ...header(0xc0, 0),
      ...header(0x30, 10),
      ...new Array(10).fill(1),
    ];
    for (const b of bytes) expect(guard.check(Uint8Array.of(b))).toBeUndefined();
    expect(guard.check(Uint8Array.from(header(0x30, 99)))).toBe('too_large'); // 1 + 1 + 99 > 100
  });

  it('accepts a packet of exactly the limit, split anywhere', () => {
    const guard = new FrameGuard(200);
    const packet = Uint8Array.from([...header(0x30, 197), ...new Array(197).fill(7)]);
    expect(packet.length).toBe(200);
    expect(guard.check(packet.subarray(0, 2))).toBeUndefined();
    expect(guard.check(packet.subarray(2, 150))).toBeUndefined();
    expect(guard.check(packet.subarray(150))).toBeUndefined();
    expect(guard.check(Uint8Array.from(header(0x30, 0)))).toBeUndefined();
  });

  it('refuses a remaining length of more than four bytes', () => {
    const guard = new FrameGuard(Number.MAX_SAFE_INTEGER);
    expect(guard.check(Uint8Array.of(0x30, 0xff, 0xff, 0xff, 0xff))).toBe('malformed_length');
  });
});
