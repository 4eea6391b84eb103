import { describe, expect, it } from 'vitest';
import { ResendMemory } from './resend-memory.js';

const p = { deviceId: 'd1', messageId: 7, dup: false, contentHash: 'h1', eventId: 'a-1', now: 0 };

describe('ResendMemory', () => {
  it('gives a DUP resend of the same packet id and payload the first copy id', () => {
    const m = new ResendMemory();
    expect(m.resolve(p)).toBe('a-1');
    expect(m.resolve({ ...p, dup: true, eventId: 'a-2', now: 5_000 })).toBe('a-1');
  });

  it('treats a reused packet id without DUP, another payload, another device or a stale entry as new', () => {
    const m = new ResendMemory(100, 60_000);
    m.resolve(p);
    expect(m.resolve({ ...p, dup: true, contentHash: 'h2', eventId: 'a-2' })).toBe('a-2');
    expect(m.resolve({ ...p, deviceId: 'd2', dup: true, eventId: 'a-3' })).toBe('a-3');
    m.resolve({ ...p, eventId: 'a-4' });
    expect(m.resolve({ ...p, eventId: 'a-5' })).toBe('a-5');
    expect(m.resolve({ ...p, dup: true, eventId: 'a-6', now: 60_001 })).toBe('a-6');
  });

  it('is bounded, forgetting the oldest entries first', () => {
    const m = new ResendMemory(3);
    for (let i = 0; i < 5; i++) m.resolve({ ...p, messageId: i, eventId: `a-${i}` });
    expect(m.size).toBe(3);
    expect(m.resolve({ ...p, messageId: 0, dup: true, eventId: 'x' })).toBe('x');
    expect(m.resolve({ ...p, messageId: 4, dup: true, eventId: 'y' })).toBe('a-4');
  });
});
