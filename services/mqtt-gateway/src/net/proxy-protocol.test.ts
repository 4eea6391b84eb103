import { describe, expect, it } from 'vitest';
import { parseProxyHeader } from './proxy-protocol.js';

const SIG = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
const v2 = (cmd: number, family: number, body: Buffer) => {
  const head = Buffer.alloc(4);
  head[0] = 0x20 | cmd;
  head[1] = family;
  head.writeUInt16BE(body.length, 2);
  return Buffer.concat([SIG, head, body]);
};
const mqttConnect = Buffer.from([0x10, 0x0c]);

describe('PROXY protocol header', () => {
  it('reads a v1 TCP4 header and leaves the stream after it', () => {
    const header = Buffer.from('PROXY TCP4 203.0.113.7 10.0.0.2 51234 1883\r\n');
    const r = parseProxyHeader(Buffer.concat([header, mqttConnect]));
    expect(r).toEqual({ state: 'complete', length: header.length, source: { address: '203.0.113.7', port: 51234 } });
  });

  it('reads v1 TCP6 and UNKNOWN (no address: the proxy itself)', () => {
    expect(parseProxyHeader(Buffer.from('PROXY TCP6 2001:db8::1 2001:db8::2 4000 1883\r\n'))).toMatchObject({
      source: { address: '2001:db8::1', port: 4000 },
    });
    expect(parseProxyHeader(Buffer.from('PROXY UNKNOWN\r\n'))).toEqual({ state: 'complete', length: 15 });
  });

  it('waits for more bytes on a header cut anywhere', () => {
    const full = Buffer.from('PROXY TCP4 203.0.113.7 10.0.0.2 51234 1883\r\n');
    for (let i = 1; i < full.length; i++) expect(parseProxyHeader(full.subarray(0, i)).state).toBe('partial');
    const bin = v2(1, 0x11, Buffer.from([203, 0, 113, 7, 10, 0, 0, 2, 0xc8, 0x22, 0x07, 0x5b]));
    for (let i = 1; i < bin.length; i++) expect(parseProxyHeader(bin.subarray(0, i)).state).toBe('partial');
  });

  it('reads v2 PROXY over IPv4 and IPv6, and LOCAL without an address', () => {
    const ipv4 = v2(1, 0x11, Buffer.from([203, 0, 113, 7, 10, 0, 0, 2, 0xc8, 0x22, 0x07, 0x5b]));
    expect(parseProxyHeader(Buffer.concat([ipv4, mqttConnect]))).toEqual({
      state: 'complete',
      length: ipv4.length,
      source: { address: '203.0.113.7', port: 0xc822 },
    });
    const src6 = Buffer.from('20010db8000000000000000000000001', 'hex');
    const ipv6 = v2(1, 0x21, Buffer.concat([src6, Buffer.alloc(16), Buffer.from([0x0f, 0xa0, 0x07, 0x5b])]));
    expect(parseProxyHeader(ipv6)).toMatchObject({ source: { address: '2001:db8::1', port: 4000 } });
    const mapped = Buffer.from('00000000000000000000ffffcb007107', 'hex');
    const ipv6m = v2(1, 0x21, Buffer.concat([mapped, Buffer.alloc(16), Buffer.alloc(4)]));
    expect(parseProxyHeader(ipv6m)).toMatchObject({ source: { address: '::ffff:203.0.113.7' } });
    // TLVs after the addresses belong to the header
    const withTlv = v2(1, 0x11, Buffer.concat([Buffer.alloc(12), Buffer.from([0x04, 0x00, 0x01, 0x00])]));
    expect(parseProxyHeader(withTlv)).toMatchObject({ state: 'complete', length: withTlv.length });
    expect(parseProxyHeader(v2(0, 0x00, Buffer.alloc(0)))).toEqual({ state: 'complete', length: 16 });
  });

  it('refuses a connection without a header, or a malformed one', () => {
    expect(parseProxyHeader(mqttConnect).state).toBe('invalid');
    expect(parseProxyHeader(Buffer.from('GET / HTTP/1.1\r\n')).state).toBe('invalid');
    expect(parseProxyHeader(Buffer.from('PROXY TCP4 not-an-ip 10.0.0.2 1 2\r\n')).state).toBe('invalid');
    expect(parseProxyHeader(Buffer.from(`PROXY TCP4 ${'1'.repeat(120)}`)).state).toBe('invalid');
    const badVersion = Buffer.concat([SIG, Buffer.from([0x11, 0x11, 0x00, 0x00])]);
    expect(parseProxyHeader(badVersion).state).toBe('invalid');
  });
});
