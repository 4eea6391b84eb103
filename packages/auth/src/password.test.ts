import { describe, expect, it } from 'vitest';
import { createPasswordHasher, FAST_SCRYPT, generatePassword, generateUsername } from './password.js';

describe('password hashing', () => {
  const hasher = createPasswordHasher(FAST_SCRYPT);

  it('verifies the right password only, with a per-password salt', async () => {
    const a = await hasher.hash('correct horse');
    const b = await hasher.hash('correct horse');
    expect(a).not.toBe(b);
    expect(a).toMatch(/^\$scrypt\$ln=10,r=8,p=1\$/);
    expect(await hasher.verify('correct horse', a)).toBe(true);
    expect(await hasher.verify('correct horsE', a)).toBe(false);
  });

  it('rejects malformed or absurd stored hashes without throwing', async () => {
    expect(await hasher.verify('x', 'plain')).toBe(false);
    expect(await hasher.verify('x', '$scrypt$ln=40,r=8,p=1$AAAA$AAAA')).toBe(false);
    expect(await hasher.verifyDummy('x')).toBe(false);
  });

  it('verifies hashes of other parameters and flags them for rehash', async () => {
    const strong = createPasswordHasher({ ln: 12, r: 8, p: 1 });
    const h = await strong.hash('pw-123456');
    expect(await hasher.verify('pw-123456', h)).toBe(true);
    expect(hasher.needsRehash(h)).toBe(true);
    expect(strong.needsRehash(h)).toBe(false);
  });

  it('generates readable credentials', () => {
    expect(generatePassword()).toMatch(/^[A-Za-z2-9]{16}$/);
    expect(generateUsername('operator')).toMatch(/^operator-[a-z2-9]{6}$/);
  });
});
