/**
 * PROXY protocol v1 (text) and v2 (binary) headers, as HAProxy's `send-proxy` / `send-proxy-v2`
 * put them in front of a connection (haproxy.org/download/2.6/doc/proxy-protocol.txt): the
 * client's address as the proxy saw it, so the per-IP connect limit keys on the device, not on the
 * proxy.
 */

/** v2 signature (section 2.2). */
const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
const V1_PREFIX = Buffer.from('PROXY ');
/** "PROXY TCP6 <39> <39> <5> <5>\r\n" is at most 107 bytes (section 2.1). */
const V1_MAX = 107;
/** Addresses plus TLVs; HAProxy sends a few hundred bytes at most. A larger one is refused. */
const V2_MAX_BODY = 2_048;

export type ProxyHeader =
  /** More bytes are needed. */
  | { state: 'partial' }
  | { state: 'invalid'; reason: string }
  /**
   * `length` bytes are the header; what follows is the client's stream. `source` is absent for a
   * LOCAL (v2) or UNKNOWN (v1) header: the proxy's own connection (e.g. its health check).
   */
  | { state: 'complete'; length: number; source?: { address: string; port: number } };

/** Parses the header at the start of `buf` (everything received so far). */
export function parseProxyHeader(buf: Buffer): ProxyHeader {
  const n = Math.min(buf.length, V2_SIGNATURE.length);
  if (buf.subarray(0, n).equals(V2_SIGNATURE.subarray(0, n))) {
    return buf.length < 16 ? { state: 'partial' } : parseV2(buf);
  }
  const m = Math.min(buf.length, V1_PREFIX.length);
  if (buf.subarray(0, m).equals(V1_PREFIX.subarray(0, m))) {
    return buf.length < V1_PREFIX.length ? { state: 'partial' } : parseV1(buf);
  }
  return { state: 'invalid', reason: 'no PROXY protocol header' };
}

function parseV1(buf: Buffer): ProxyHeader {
  const end = buf.indexOf('\r\n');
  if (end === -1) {
    return buf.length >= V1_MAX ? { state: 'invalid', reason: 'v1 header too long' } : { state: 'partial' };
  }
  if (end + 2 > V1_MAX) return { state: 'invalid', reason: 'v1 header too long' };
  const parts = buf.subarray(0, end).toString('latin1').split(' ');
  const length = end + 2;
  if (parts[1] === 'UNKNOWN') return { state: 'complete', length };
  if (parts.length !== 6 || (parts[1] !== 'TCP4' && parts[1] !== 'TCP6')) {
    return { state: 'invalid', reason: 'malformed v1 header' };
  }
  const address = parts[2]!;
  const port = Number(parts[4]);
  const ipOk = parts[1] === 'TCP4' ? /^\d{1,3}(\.\d{1,3}){3}$/.test(address) : /^[0-9A-Fa-f:.]+$/.test(address);
  if (!ipOk || !Number.isInteger(port) || port < 0 || port > 65_535) {
    return { state: 'invalid', reason: 'malformed v1 address' };
  }
  return { state: 'complete', length, source: { address, port } };
}

function parseV2(buf: Buffer): ProxyHeader {
  const verCmd = buf[12]!;
  if (verCmd >> 4 !== 2) return { state: 'invalid', reason: 'unsupported v2 version' };
  const command = verCmd & 0x0f;
  const family = buf[13]!;
  const bodyLength = buf.readUInt16BE(14);
  if (bodyLength > V2_MAX_BODY) return { state: 'invalid', reason: 'v2 header too long' };
  const length = 16 + bodyLength;
  if (buf.length < length) return { state: 'partial' };
  if (command === 0x0) return { state: 'complete', length }; // LOCAL: the proxy's own connection
  if (command !== 0x1) return { state: 'invalid', reason: 'unknown v2 command' };
  const body = buf.subarray(16, length);
  // family high nibble: 1 = IPv4, 2 = IPv6; low nibble 1 = STREAM (TCP)
  if (family === 0x11 && body.length >= 12) {
    return {
      state: 'complete',
      length,
      source: { address: [...body.subarray(0, 4)].join('.'), port: body.readUInt16BE(8) },
    };
  }
  if (family === 0x21 && body.length >= 36) {
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(body.readUInt16BE(i).toString(16));
    return { state: 'complete', length, source: { address: compressIpv6(groups), port: body.readUInt16BE(32) } };
  }
  if (family === 0x00) return { state: 'complete', length }; // UNSPEC
  return { state: 'invalid', reason: 'unsupported v2 address family' };
}

/** As Node prints socket addresses: the longest run of zero groups becomes `::`, IPv4-mapped stays readable. */
function compressIpv6(groups: string[]): string {
  if (groups.slice(0, 5).every((g) => g === '0') && groups[5] === 'ffff') {
    const hi = Number.parseInt(groups[6]!, 16);
    const lo = Number.parseInt(groups[7]!, 16);
    return `::ffff:${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
  }
  let best = { start: -1, len: 0 };
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > best.len && j - i > 1) best = { start: i, len: j - i };
    i = j;
  }
  if (best.start === -1) return groups.join(':');
  const head = groups.slice(0, best.start).join(':');
  const tail = groups.slice(best.start + best.len).join(':');
  return `${head}::${tail}`;
}
