import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createWebSocketStream, WebSocketServer } from 'ws';

export interface Listener {
  port: number;
  close(): Promise<void>;
}

/** MQTT over TCP. */
export async function listenTcp(host: string, port: number, onConnection: (socket: Socket) => void): Promise<Listener> {
  const server = createServer({ noDelay: true, keepAlive: true, keepAliveInitialDelay: 60_000 }, onConnection);
  return listen(server, host, port, async () => undefined);
}

/**
 * MQTT over WebSocket (subprotocol `mqtt`). ws buffers a whole message before handing it on and
 * allows 100 MB by default: maxPayload caps it at the packet limit, so the frame guard's promise
 * holds here too (ws closes with 1009 "message too big").
 */
export async function listenWebSocket(
  host: string,
  port: number,
  maxPayload: number,
  onConnection: (stream: Duplex, req: IncomingMessage) => void,
): Promise<Listener> {
  const http = createHttpServer((_req, res) => {
    res.statusCode = 426;
    res.end('MQTT over WebSocket only\n');
  });
  const wss = new WebSocketServer({ server: http, maxPayload, perMessageDeflate: false });
  wss.on('connection', (ws, req) => {
    const stream = createWebSocketStream(ws);
    stream.on('error', () => ws.terminate());
    onConnection(stream, req);
  });
  return listen(http, host, port, () => new Promise<void>((resolve) => wss.close(() => resolve())));
}

async function listen(
  server: Server | ReturnType<typeof createHttpServer>,
  host: string,
  port: number,
  before: () => Promise<void>,
) {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : port,
    async close() {
      await before();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
