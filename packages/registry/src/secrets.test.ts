import { describe, expect, it } from 'vitest';
import {
  deviceIdForMac,
  hashSecret,
  isTokenShaped,
  newClaimCode,
  newToken,
  normalizeClaimCode,
  normalizeMac,
  sameHash,
} from './secrets.js';

describe('device secrets', () => {
  it('issues 32-byte tokens that look like tokens', () => {
    const t = newToken();
    expect(Buffer.from(t, 'base64url')).toHaveLength(32);
    expect(isTokenShaped(t)).toBe(true);
    expect(isTokenShaped('not a token')).toBe(false);
    expect(newToken()).not.toBe(t);
  });

  it('compares hashes without leaking length or content', () => {
    const h = hashSecret('abc');
    expect(sameHash(h, hashSecret('abc'))).toBe(true);
    expect(sameHash(h, hashSecret('abd'))).toBe(false);
    expect(sameHash(null, h)).toBe(false);
    expect(sameHash('ab', h)).toBe(false);
  });

  it('normalizes MACs in either spelling', () => {
    expect(normalizeMac('ec-e3-34-46-2b-c0')).toBe('EC:E3:34:46:2B:C0');
    expect(normalizeMac('ECE334462BC0')).toBe('EC:E3:34:46:2B:C0');
    expect(normalizeMac('EC:E3:34:46:2B')).toBeUndefined();
    expect(deviceIdForMac('EC:E3:34:46:2B:C0')).toBe('dev-ece334462bc0');
  });

  it('makes readable claim codes that survive retyping', () => {
    const code = newClaimCode();
    expect(code).toMatch(/^[A-Z0-9]{4}(-[A-Z0-9]{4}){3}$/);
    expect(normalizeClaimCode(code.toLowerCase().replace(/-/g, ' '))).toBe(code.replace(/-/g, ''));
  });
});
