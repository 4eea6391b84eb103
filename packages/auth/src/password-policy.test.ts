import { describe, expect, it } from 'vitest';
import { generatePassword } from './index.js';
import { passwordWeakness } from './password-policy.js';

describe('passwordWeakness', () => {
  it('refuses short, common and digit-only passwords, also with digits or punctuation appended', () => {
    for (const p of [
      'password',
      '12345678',
      'Password123!',
      'qwertyuiop',
      'aaaaaaaaaa',
      'pass',
      '9876543210123',
      'Telemetry2026',
    ])
      expect(passwordWeakness(p), p).toBeDefined();
  });
  it('accepts other passwords and every generated one', () => {
    for (const p of ['correct-horse-1', 'an-entirely-new-secret-7', 'walkin-123'])
      expect(passwordWeakness(p), p).toBeUndefined();
    for (let i = 0; i < 50; i++) expect(passwordWeakness(generatePassword())).toBeUndefined();
  });
});
