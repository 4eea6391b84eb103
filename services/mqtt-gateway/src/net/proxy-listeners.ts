import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import { createServer, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createWebSocketStream, WebSocketServer } from 'ws';
import { listenOn } from './listen-on.js';
import type { Listener } from './listeners.js';
import { parseProxyHeader } from './proxy-protocol.js';

/**
 * Listeners behind a load balancer that speaks the PROXY protocol (HAProxy `send-proxy-v2`): each
 * connection must start with a v1 or v2 header, which gives the client's address (the per-IP
 * connect limit keys on it). A connection without one, or with a malformed one, is closed: an
 * optional header would let any client that reaches the port claim any address, so these ports
 * are for the proxy only and the plain ones stay as they are.
 */

/** The client's address from the header; the socket's own for a LOCAL header (the proxy's health check). */
function readHeader(
  socket: Socket,
  pending: Set<Socket>,
  timeoutMs: number,
  onReady: (address: string) => void,
  onRefused: (reason: string) => void,
): void {
  let received: Buffer = Buffer.alloc(0);
  pending.add(socket);
  const timer = setTimeout(() => fail('no PROXY header in time'), timeoutMs);
  timer.unref();
  const cleanup = () => {
    pending.delete(socket);
    clearTimeout(timer);
    socket.off('data', onData);
    socket.off('close', onClose);
  };
  const fail = (reason: string) => {
    cleanup();
    onRefused(reason);
    socket.destroy();
  };
  const onClose = () => cleanup();
  const onData = (chunk: Buffer) => {
    received = received.length === 0 ? chunk : Buffer.concat([received, chunk]);
    const header = parseProxyHeader(received);
    if (header.state === 'partial') return;
    if (header.state === 'invalid') return fail(header.reason);
    cleanup();
    socket.pause();
    // the client's first bytes (MQTT CONNECT, or the HTTP upgrade) go back for the next reader
    if (received.length > header.length) socket.unshift(received.subarray(header.length));
    onReady(header.source?.address ?? socket.remoteAddress ?? 'unknown');
  };
  socket.on('data', onData);
  socket.once('close', onClose);
}

/** MQTT over TCP, each connection behind a PROXY header. */
export async function listenTcpProxied(
  host: string,
  port: number,
  timeoutMs: number,
  onConnection: (socket: Socket, address: string) => void,
  onRefused: (reason: string) => void,
): Promise<Listener> {
  const pending = new Set<Socket>();
  const server = createServer({ noDelay: true, keepAlive: true, keepAliveInitialDelay: 60_000 }, (socket) => {
    socket.on('error', () => undefined); // until the gateway takes it
    readHeader(socket, pending, timeoutMs, (address) => onConnection(socket, address), onRefused);
  });
  return listenOn(server, host, port, async () => undefined, pending);
}

/**
 * MQTT over WebSocket behind a PROXY header: the header is read off the TCP connection, then the
 * connection is handed to the HTTP server, which sees the upgrade request as if it came first.
 */
export async function listenWebSocketProxied(
  host: string,
  port: number,
  maxPayload: number,
  timeoutMs: number,
  onConnection: (stream: Duplex, req: IncomingMessage, address: string) => void,
  onRefused: (reason: string) => void,
): Promise<Listener> {
  const addresses = new WeakMap<object, string>();
  const http = createHttpServer((_req, res) => {
    res.statusCode = 426;
    res.end('MQTT over WebSocket only\n');
  });
  const wss = new WebSocketServer({ server: http, maxPayload, perMessageDeflate: false });
  wss.on('connection', (ws, req) => {
    const stream = createWebSocketStream(ws);
    stream.on('error', () => ws.terminate());
    onConnection(stream, req, addresses.get(req.socket) ?? req.socket.remoteAddress ?? 'unknown');
  });
  const pending = new Set<Socket>();
  const tcp = createServer((socket) => {
    socket.on('error', () => undefined);
    readHeader(
      socket,
      pending,
      timeoutMs,
      (address) => {
        addresses.set(socket, address);
        http.emit('connection', socket);
        socket.resume();
      },
      onRefused,
    );
  });
  return listenOn(
    tcp,
    host,
    port,
    async () => {
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      http.closeAllConnections();
    },
    pending,
  );
}
