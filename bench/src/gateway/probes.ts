/**
 * Raw-socket probes of the aedes 1.2 gaps, run against the bare broker and against the gateway.
 * Hand-encoded packets: mqtt.js refuses to send some of them.
 */
import { connect, type Socket } from 'node:net';

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

const str = (s: string) => {
  const b = Buffer.from(s, 'utf8');
  const len = Buffer.alloc(2);
  len.writeUInt16BE(b.length);
  return Buffer.concat([len, b]);
};

/** A MQTT 3.1.1 CONNECT, short enough for a one-byte remaining length. */
export function connectPacket(c: { clientId: string; clean: boolean; username?: string; password?: string }): Buffer {
  const flags = (c.username !== undefined ? 0x80 : 0) | (c.password !== undefined ? 0x40 : 0) | (c.clean ? 0x02 : 0);
  const body = Buffer.concat([
    str('MQTT'),
    Buffer.from([4, flags, 0, 60]),
    str(c.clientId),
    ...(c.username !== undefined ? [str(c.username)] : []),
    ...(c.password !== undefined ? [str(c.password)] : []),
  ]);
  return Buffer.concat([Buffer.from([0x10, body.length]), body]);
}

/** Reads until `n` bytes arrived or the socket closed. */
function readBytes(s: Socket, n: number, timeoutMs = 5_000): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let got = 0;
    const done = () => {
      clearTimeout(timer);
      s.off('data', onData);
      resolve(Buffer.concat(chunks));
    };
    const onData = (c: Buffer) => {
      chunks.push(c);
      got += c.length;
      if (got >= n) done();
    };
    const timer = setTimeout(done, timeoutMs);
    s.on('data', onData);
    s.once('close', done);
  });
}

/** The CONNACK return code of a CONNECT, or -1 when the connection closed without one. */
export async function connackCode(port: number, c: Parameters<typeof connectPacket>[0]): Promise<number> {
  const s = await open(port);
  try {
    s.write(connectPacket(c));
    const b = await readBytes(s, 4);
    return b[0] === 0x20 ? (b[3] ?? -1) : -1;
  } finally {
    s.destroy();
  }
}

/** CONNECT (must be accepted), then SUBSCRIBE `$SYS/#`: the granted QoS byte (0x80 = refused), -1 when none. */
export async function sysSubscribe(port: number, c: Parameters<typeof connectPacket>[0]): Promise<number> {
  const s = await open(port);
  try {
    s.write(connectPacket(c));
    const connack = await readBytes(s, 4);
    if (connack[3] !== 0) return -1;
    const topic = str('$SYS/#');
    const body = Buffer.concat([Buffer.from([0, 1]), topic, Buffer.from([0])]);
    s.write(Buffer.concat([Buffer.from([0x82, body.length]), body]));
    const suback = await readBytes(s, 5);
    return suback[0] === 0x90 ? (suback[4] ?? -1) : -1;
  } finally {
    s.destroy();
  }
}

/**
 * Announces a 256 MB CONNECT, then streams up to `totalBytes` of its body (one reused chunk,
 * honouring backpressure) until the broker closes. Returns the bytes the broker took.
 */
export async function hugePacket(
  port: number,
  totalBytes: number,
): Promise<{ accepted: number; closedByBroker: boolean }> {
  const s = await open(port);
  s.on('error', () => undefined);
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  let closed = false;
  s.once('close', () => {
    closed = true;
  });
  s.write(Buffer.from([0x10, 0xff, 0xff, 0xff, 0x7f]));
  let accepted = 0;
  while (!closed && accepted < totalBytes) {
    const ok = s.write(chunk);
    accepted += chunk.length;
    if (!ok)
      await new Promise<void>((resolve) => (closed ? resolve() : s.once('drain', resolve).once('close', resolve)));
  }
  // let the broker read what is in flight before the socket goes
  await new Promise<void>((resolve) => (closed ? resolve() : s.end(resolve)));
  const closedByBroker = closed;
  s.destroy();
  return { accepted, closedByBroker };
}
