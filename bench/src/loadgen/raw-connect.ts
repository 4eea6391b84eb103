/**
 * A bare MQTT 3.1.1 CONNECT over a TCP socket, for the connect storm: mqtt.js builds a whole client
 * per connection (stores, timers, a stream pipeline), which made the generator the limit at a few
 * hundred CONNECT/s; one packet out and four bytes back is all a storm needs. [MQTT-3.1], [MQTT-3.2]
 */
import { type Socket, connect as tcpConnect } from 'node:net';

function utf8(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  const len = Buffer.alloc(2);
  len.writeUInt16BE(b.length);
  return Buffer.concat([len, b]);
}

function remainingLength(n: number): Buffer {
  const out: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return Buffer.from(out);
}

/** CONNECT, clean session, with username/password when given. */
export function connectPacket(o: {
  clientId: string;
  username?: string;
  password?: string;
  keepalive: number;
}): Buffer {
  let flags = 0x02;
  if (o.username !== undefined) flags |= 0x80;
  if (o.password !== undefined) flags |= 0x40;
  const keepalive = Buffer.alloc(2);
  keepalive.writeUInt16BE(o.keepalive);
  const variable = Buffer.concat([utf8('MQTT'), Buffer.from([0x04, flags]), keepalive]);
  const payload = Buffer.concat([
    utf8(o.clientId),
    ...(o.username !== undefined ? [utf8(o.username)] : []),
    ...(o.password !== undefined ? [utf8(o.password)] : []),
  ]);
  const body = Buffer.concat([variable, payload]);
  return Buffer.concat([Buffer.from([0x10]), remainingLength(body.length), body]);
}

export const DISCONNECT = Buffer.from([0xe0, 0x00]);

/** Opens a socket, sends CONNECT, resolves with the socket once CONNACK accepted (return code 0). */
export function rawConnect(
  url: string,
  o: { clientId: string; username?: string; password?: string },
  timeoutMs: number,
): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = tcpConnect({ host: hostname, port: Number(port || 1883), noDelay: true });
    let got = Buffer.alloc(0);
    const timer = setTimeout(() => fail(new Error('connack timeout')), timeoutMs);
    const fail = (err: Error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    };
    socket.once('error', fail);
    socket.once('close', () => fail(new Error('closed before CONNACK')));
    socket.once('connect', () => socket.write(connectPacket({ ...o, keepalive: 300 })));
    const onData = (chunk: Buffer) => {
      got = Buffer.concat([got, chunk]);
      if (got.length < 4) return;
      socket.off('data', onData);
      clearTimeout(timer);
      socket.removeAllListeners('close');
      socket.removeAllListeners('error');
      socket.on('error', () => undefined);
      if (got[0] !== 0x20 || got[3] !== 0) {
        socket.destroy();
        reject(new Error(`CONNACK refused (return code ${got[3]})`));
      } else resolve(socket);
    };
    socket.on('data', onData);
  });
}
