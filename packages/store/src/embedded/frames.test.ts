import { describe, expect, it } from 'vitest';
import { backend, backendMessages, dataRowFields, errorFields, frame, PROTOCOL_3, takeFrame } from './frames.js';

describe('wire frames of the embedded store', () => {
  const startup = () => {
    const body = Buffer.from('user\0reader\0\0');
    const head = Buffer.alloc(8);
    head.writeInt32BE(body.length + 8);
    head.writeInt32BE(PROTOCOL_3, 4);
    return Buffer.concat([head, body]);
  };

  it('takes a startup frame, then typed messages, and waits for the rest of a partial one', () => {
    const first = takeFrame(Buffer.concat([startup(), frame('p', Buffer.from('x\0'))]), true, 1024);
    expect(first.frame).toMatchObject({ kind: 'startup', code: PROTOCOL_3 });
    const second = takeFrame(first.rest, false, 1024);
    expect(second.frame).toMatchObject({ kind: 'message', type: 'p' });
    expect(second.rest.length).toBe(0);
    const partial = frame('Q', Buffer.from('SELECT 1\0')).subarray(0, 7);
    expect(takeFrame(partial, false, 1024)).toEqual({ rest: partial });
  });

  it('calls impossible lengths garbage instead of waiting for gigabytes', () => {
    expect(takeFrame(Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 3, 0, 0]), true, 1024).error).toMatch(
      /bad startup length/,
    );
    expect(takeFrame(Buffer.from([0x51, 0x7f, 0xff, 0xff, 0xff]), false, 1024).error).toMatch(/bad message length/);
    expect(takeFrame(Buffer.from([0x51, 0, 0, 0, 2]), false, 1024).error).toMatch(/bad message length/);
  });

  it('reads back what it writes: errors and data rows', () => {
    const reply = Buffer.concat([
      backend.error('28P01', 'nope', 'FATAL'),
      frame('D', Buffer.from([0, 2, 0, 0, 0, 1, 0x61, 0xff, 0xff, 0xff, 0xff])),
      backend.ready('I'),
    ]);
    const messages = [...backendMessages(reply)];
    expect(messages.map((m) => m.type)).toEqual(['E', 'D', 'Z']);
    expect(errorFields((messages[0] as { body: Buffer }).body)).toEqual({ code: '28P01', message: 'nope' });
    expect(dataRowFields((messages[1] as { body: Buffer }).body)).toEqual(['a', null]);
  });
});
