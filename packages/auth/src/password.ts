import { randomBytes, randomInt, scrypt, timingSafeEqual } from 'node:crypto';

/**
 * Password hashing with scrypt (memory-hard, in node:crypto: no native add-on).
 * Stored as `$scrypt$ln=15,r=8,p=3$<salt>$<hash>` (base64, no padding), so the cost
 * can be raised later: old hashes still verify with their own parameters, and
 * needsRehash() tells the login path to upgrade them.
 */
export interface ScryptParams {
  /** log2 of the CPU/memory cost N. */
  ln: number;
  r: number;
  p: number;
}

/**
 * OWASP's scrypt equivalents: N=2^17,p=1 ≈ N=2^15,p=3. The second needs 32 MiB per hash
 * instead of 128 MiB, which matters on a 2-core box answering concurrent logins.
 */
export const DEFAULT_SCRYPT: ScryptParams = { ln: 15, r: 8, p: 3 };
/** For tests and seeding demo data: still real scrypt, ~100x cheaper. Never in production. */
export const FAST_SCRYPT: ScryptParams = { ln: 10, r: 8, p: 1 };

const KEY_LEN = 32;
const SALT_LEN = 16;
/** Refuse absurd parameters read from a stored hash (a tampered row must not exhaust memory). */
const MAX_LN = 20;
const MAX_RP = 64;

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** Constant-time comparison; false (never throws) for a malformed stored hash. */
  verify(password: string, stored: string): Promise<boolean>;
  /** Burns the same time as a verify, for unknown users (no user enumeration by timing). */
  verifyDummy(password: string): Promise<false>;
  /** The stored hash uses other parameters than this hasher's. */
  needsRehash(stored: string): boolean;
}

export function createPasswordHasher(params: ScryptParams = DEFAULT_SCRYPT): PasswordHasher {
  let dummy: Promise<string> | undefined;
  const hash = async (password: string) => {
    const salt = randomBytes(SALT_LEN);
    const key = await derive(password, salt, params);
    return `$scrypt$ln=${params.ln},r=${params.r},p=${params.p}$${b64(salt)}$${b64(key)}`;
  };
  const verify = async (password: string, stored: string) => {
    const parsed = parseHash(stored);
    if (!parsed) return false;
    const key = await derive(password, parsed.salt, parsed.params);
    return key.length === parsed.key.length && timingSafeEqual(key, parsed.key);
  };
  return {
    hash,
    verify,
    async verifyDummy(password) {
      dummy ??= hash(randomBytes(12).toString('hex'));
      await verify(password, await dummy);
      return false;
    },
    needsRehash(stored) {
      const parsed = parseHash(stored);
      return !parsed || parsed.params.ln !== params.ln || parsed.params.r !== params.r || parsed.params.p !== params.p;
    },
  };
}

function derive(password: string, salt: Buffer, { ln, r, p }: ScryptParams): Promise<Buffer> {
  const N = 2 ** ln;
  // scrypt needs 128*N*r bytes; node refuses above maxmem (default 32 MiB), so give it headroom.
  const maxmem = 128 * N * r * 2 + 1024 * 1024;
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, KEY_LEN, { N, r, p, maxmem }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

function parseHash(stored: string): { params: ScryptParams; salt: Buffer; key: Buffer } | undefined {
  const m = /^\$scrypt\$ln=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/.exec(stored);
  if (!m) return undefined;
  const params = { ln: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  if (params.ln < 1 || params.ln > MAX_LN || params.r < 1 || params.r > MAX_RP || params.p < 1 || params.p > MAX_RP) {
    return undefined;
  }
  return { params, salt: Buffer.from(m[4] ?? '', 'base64'), key: Buffer.from(m[5] ?? '', 'base64') };
}

function b64(buf: Buffer): string {
  return buf.toString('base64').replace(/=+$/, '');
}

// Unambiguous characters only: generated credentials are read off a screen and typed.
const ALPHABET = 'abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789';

/** A random password for generated accounts (returned once, changed at first login). */
export function generatePassword(length = 16): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHABET[randomInt(ALPHABET.length)];
  return out;
}

/** A random username like `operator-k7m2qd`. */
export function generateUsername(prefix: string): string {
  const lower = 'abcdefghjkmnpqrstuvwxyz23456789';
  let suffix = '';
  for (let i = 0; i < 6; i++) suffix += lower[randomInt(lower.length)];
  return `${prefix}-${suffix}`;
}
