import { describe, expect, it } from 'vitest';
import { connectPacket } from './raw-connect.js';

describe('connectPacket', () => {
  it('encodes an MQTT 3.1.1 CONNECT with clean session and credentials', () => {
    const p = connectPacket({ clientId: 'd1', username: 'd1', password: 'pw', keepalive: 60 });
    // fixed header, remaining length 22: protocol name (6) + level, flags, keepalive (4) + 3 strings of 2 + 2 bytes
    expect([...p.subarray(0, 2)]).toEqual([0x10, 22]);
    expect(p.subarray(2, 8).toString('latin1')).toBe('\u0000\u0004MQTT');
    expect([...p.subarray(8, 12)]).toEqual([0x04, 0xc2, 0, 60]);
    expect(p.subarray(12).toString('latin1')).toBe('\u0000\u0002d1\u0000\u0002d1\u0000\u0002pw');
  });

  it('leaves the credential flags off without credentials', () => {
    expect(connectPacket({ clientId: 'x', keepalive: 10 })[9]).toBe(0x02);
  });
});
