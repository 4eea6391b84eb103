import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Device secrets. Tokens are 32 random bytes: with that much entropy a plain sha256 is the right
 * hash (nothing to brute-force, unlike passwords), it can be indexed, so an HTTP Bearer token finds
 * its device in one lookup, and it keeps an MQTT CONNECT at one hash and one primary-key read.
 */

const TOKEN_BYTES = 32;
/** base64url of 32 bytes, no padding. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export function newToken(): string {
  return randomBytes(TOKEN_BYTES).toString('base64url');
}

/** True when the text has the shape of a token we issue (anything else is "malformed", not "wrong"). */
export function isTokenShaped(text: string): boolean {
  return TOKEN_SHAPE.test(text);
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Compares two hex hashes in constant time (both are sha256 hex, so equal length when valid). */
export function sameHash(a: string | null | undefined, b: string): boolean {
  if (!a || a.length !== b.length) return false;
  return timingSafeEqual(Buffer.from(a, 'hex'), Buffer.from(b, 'hex'));
}

// Crockford-ish base32 without look-alikes (no I, L, O, U): claim codes are typed by people.
const CLAIM_ALPHABET = 'ABCDEFGHJKMNPQRSTVWXYZ0123456789';

/** A one-time claim code, 80 bits, grouped for reading: `K7QF-2MZX-9HCT-W4RB`. */
export function newClaimCode(): string {
  const bytes = randomBytes(16);
  let out = '';
  for (let i = 0; i < 16; i++) out += CLAIM_ALPHABET[bytes[i]! % 32];
  return out.match(/.{4}/g)!.join('-');
}

/** Claim codes compare case- and separator-insensitively. */
export function normalizeClaimCode(code: string): string {
  return code.toUpperCase().replace(/[^A-Z0-9]/g, '');
}

const MAC =
  /^([0-9A-Fa-f]{2})[:-]?([0-9A-Fa-f]{2})[:-]?([0-9A-Fa-f]{2})[:-]?([0-9A-Fa-f]{2})[:-]?([0-9A-Fa-f]{2})[:-]?([0-9A-Fa-f]{2})$/;

/** `ec-e3-34-46-2b-c0` -> `EC:E3:34:46:2B:C0`; undefined when it is not a MAC. */
export function normalizeMac(mac: string): string | undefined {
  const m = MAC.exec(mac.trim());
  return m ? m.slice(1, 7).join(':').toUpperCase() : undefined;
}

/** The id an unknown MAC gets at its first handshake: stable, so a lost response changes nothing. */
export function deviceIdForMac(normalizedMac: string): string {
  return `dev-${normalizedMac.replace(/:/g, '').toLowerCase()}`;
}
