/**
 * The few PostgreSQL wire-protocol (v3) frames the embedded store reads and writes itself.
 * https://www.postgresql.org/docs/current/protocol-message-formats.html
 */

export const PROTOCOL_3 = 196_608;
export const SSL_REQUEST = 80_877_103;
export const GSSENC_REQUEST = 80_877_104;
export const CANCEL_REQUEST = 80_877_102;

/** A frame the client sent: the startup-phase ones have no type byte. */
export type ClientFrame =
  | { kind: 'startup'; code: number; bytes: Buffer }
  | { kind: 'message'; type: string; bytes: Buffer; body: Buffer };

/**
 * The next complete frame of `buffer`, if there is one. `startup`: the frame is a startup-phase one
 * (length, code, no type byte). `error` when a length is impossible (garbage on the wire).
 */
export function takeFrame(
  buffer: Buffer,
  startup: boolean,
  maxBytes: number,
): { frame?: ClientFrame; rest: Buffer; error?: string } {
  if (startup) {
    if (buffer.length < 8) return { rest: buffer };
    const length = buffer.readInt32BE(0);
    if (length < 8 || length > maxBytes) return { rest: buffer, error: `bad startup length ${length}` };
    if (buffer.length < length) return { rest: buffer };
    const bytes = buffer.subarray(0, length);
    return { frame: { kind: 'startup', code: bytes.readInt32BE(4), bytes }, rest: buffer.subarray(length) };
  }
  if (buffer.length < 5) return { rest: buffer };
  const length = buffer.readInt32BE(1);
  if (length < 4 || length + 1 > maxBytes) return { rest: buffer, error: `bad message length ${length}` };
  if (buffer.length < length + 1) return { rest: buffer };
  const bytes = buffer.subarray(0, length + 1);
  const type = String.fromCharCode(bytes[0] as number);
  return { frame: { kind: 'message', type, bytes, body: bytes.subarray(5) }, rest: buffer.subarray(length + 1) };
}

/** The startup message's key/value parameters (user, database, application_name...). */
export function startupParameters(frame: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  const parts = frame.subarray(8).toString('utf8').split('\0');
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const key = parts[i];
    if (!key) break;
    out[key] = parts[i + 1] ?? '';
  }
  return out;
}

/** One backend message: type byte, length (of itself and the body), body. */
export function frame(type: string, body: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

export function cstring(s: string): Buffer {
  return Buffer.concat([Buffer.from(s, 'utf8'), Buffer.from([0])]);
}

function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}

function int16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b;
}

export const backend = {
  authOk: () => frame('R', int32(0)),
  authMd5: (salt: Buffer) => frame('R', Buffer.concat([int32(5), salt])),
  parameter: (name: string, value: string) => frame('S', Buffer.concat([cstring(name), cstring(value)])),
  keyData: (pid: number, secret: number) => frame('K', Buffer.concat([int32(pid), int32(secret)])),
  ready: (status: 'I' | 'T' | 'E' = 'I') => frame('Z', Buffer.from(status, 'latin1')),
  commandComplete: (tag: string) => frame('C', cstring(tag)),
  /** ErrorResponse (or NoticeResponse with `type` 'N'): severity, SQLSTATE, message. */
  error: (code: string, message: string, severity = 'ERROR', type: 'E' | 'N' = 'E') =>
    frame(
      type,
      Buffer.concat([
        Buffer.from('S'),
        cstring(severity),
        Buffer.from('V'),
        cstring(severity),
        Buffer.from('C'),
        cstring(code),
        Buffer.from('M'),
        cstring(message),
        Buffer.from([0]),
      ]),
    ),
};

/** Frontend messages the store sends to PGlite on a guest's behalf (extended protocol: ONE statement). */
export const frontend = {
  query: (sql: string) => frame('Q', cstring(sql)),
  parse: (sql: string) => frame('P', Buffer.concat([cstring(''), cstring(sql), int16(0)])),
  /** Unnamed portal of the unnamed statement, no parameters, all results as text. */
  bind: () => frame('B', Buffer.concat([cstring(''), cstring(''), int16(0), int16(0), int16(0)])),
  describePortal: () => frame('D', Buffer.concat([Buffer.from('P'), cstring('')])),
  execute: (maxRows: number) => frame('E', Buffer.concat([cstring(''), int32(maxRows)])),
  sync: () => frame('S'),
};

/** The messages of a backend reply (PGlite returns them concatenated). */
export function* backendMessages(reply: Uint8Array): Generator<{ type: string; bytes: Buffer; body: Buffer }> {
  // a copy: PGlite may hand out a view of its wasm memory, overwritten by the next call
  const buf = Buffer.from(reply);
  let at = 0;
  while (buf.length - at >= 5) {
    const length = buf.readInt32BE(at + 1);
    const end = at + 1 + length;
    if (length < 4 || end > buf.length) return;
    yield {
      type: String.fromCharCode(buf[at] as number),
      bytes: buf.subarray(at, end),
      body: buf.subarray(at + 5, end),
    };
    at = end;
  }
}

/** The text columns of a DataRow body (null for SQL NULL). */
export function dataRowFields(body: Buffer): (string | null)[] {
  const count = body.readInt16BE(0);
  const out: (string | null)[] = [];
  let at = 2;
  for (let i = 0; i < count; i++) {
    const length = body.readInt32BE(at);
    at += 4;
    if (length < 0) out.push(null);
    else {
      out.push(body.subarray(at, at + length).toString('utf8'));
      at += length;
    }
  }
  return out;
}

/** The message (M) and SQLSTATE (C) fields of an ErrorResponse body. */
export function errorFields(body: Buffer): { code: string; message: string } {
  let code = '';
  let message = '';
  let at = 0;
  while (at < body.length && body[at] !== 0) {
    const field = String.fromCharCode(body[at] as number);
    const end = body.indexOf(0, at + 1);
    if (end < 0) break;
    const value = body.subarray(at + 1, end).toString('utf8');
    if (field === 'C') code = value;
    if (field === 'M') message = value;
    at = end + 1;
  }
  return { code, message };
}
