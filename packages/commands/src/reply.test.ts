import { describe, expect, it } from 'vitest';
import { parseReply } from './reply.js';

const id = '5f0c9a52-8d0e-4c55-9b7e-2f4f7c1f3a10';

describe('parseReply', () => {
  it('reads the documented shape', () => {
    expect(parseReply(JSON.stringify({ id, status: 'ok', result: { level: 100 } }))).toEqual({
      id,
      ok: true,
      result: { level: 100 },
      error: null,
    });
    expect(parseReply(Buffer.from(JSON.stringify({ id, status: 'error', error: 'motor stuck' })))).toEqual({
      id,
      ok: false,
      result: null,
      error: 'motor stuck',
    });
  });

  it('takes a reply without status as ok, or as failed when it carries an error', () => {
    expect(parseReply(JSON.stringify({ id }))).toMatchObject({ ok: true });
    expect(parseReply(JSON.stringify({ id, error: 'no' }))).toMatchObject({ ok: false, error: 'no' });
  });

  it('says why a payload is not a reply', () => {
    expect(parseReply('ok')).toEqual({ invalid: 'reply is not JSON' });
    expect(parseReply('42')).toEqual({ invalid: 'reply is not a JSON object' });
    expect(parseReply(JSON.stringify({ id: 'x' }))).toEqual({ invalid: 'reply has no command id ("id")' });
    expect(parseReply(JSON.stringify({ id, status: 'done' }))).toEqual({
      invalid: 'reply status must be "ok" or "error"',
    });
  });
});
