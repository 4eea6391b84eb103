/**
 * The dashboard side of the realtime bench, in its own process (forked by run.ts) so that the
 * clients' parsing does not run on the gateway's event loop. It opens N Socket.IO connections,
 * subscribes each to the tenant, and measures publish → receive latency from `trace.device`
 * (the publisher's clock; same machine).
 */
import { performance } from 'node:perf_hooks';
import { io, type Socket } from '../../../services/realtime/test/bench-deps.js';
import { percentiles } from './stats.js';

export interface ClientsStart {
  type: 'start';
  url: string;
  token: string;
  clients: number;
  tenantId: string;
}
export type ToClients = ClientsStart | { type: 'reset' } | { type: 'count' } | { type: 'report' };
export type FromClients =
  | { type: 'ready' }
  | { type: 'count'; received: number }
  | { type: 'report'; received: number; latencyMs: ReturnType<typeof percentiles>; disconnects: number }
  | { type: 'error'; message: string };

const send = (m: FromClients) => process.send?.(m);
const sockets: Socket[] = [];
let samples: number[] = [];
let received = 0;
let disconnects = 0;

async function start(cfg: ClientsStart): Promise<void> {
  // Connect in small waves: hundreds of simultaneous handshakes only measure the accept queue.
  for (let i = 0; i < cfg.clients; i += 50) {
    const wave = Array.from({ length: Math.min(50, cfg.clients - i) }, () => openOne(cfg));
    sockets.push(...(await Promise.all(wave)));
  }
  send({ type: 'ready' });
}

function openOne(cfg: ClientsStart): Promise<Socket> {
  const socket = io(cfg.url, {
    auth: { token: cfg.token },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  socket.on('telemetry', (m: { trace?: { device?: number } }) => {
    const now = performance.timeOrigin + performance.now();
    received++;
    if (m.trace?.device !== undefined) samples.push(now - m.trace.device);
  });
  socket.on('disconnect', () => disconnects++);
  return new Promise((resolve, reject) => {
    socket.once('connect_error', reject);
    socket.once('connect', async () => {
      const ack = (await socket.timeout(30_000).emitWithAck('subscribe', { scope: 'tenant', id: cfg.tenantId })) as {
        ok: boolean;
      };
      if (ack.ok) resolve(socket);
      else reject(new Error(`subscribe refused: ${JSON.stringify(ack)}`));
    });
  });
}

process.on('message', (m: ToClients) => {
  switch (m.type) {
    case 'start':
      start(m).catch((err: Error) => send({ type: 'error', message: err.message }));
      break;
    case 'reset':
      samples = [];
      received = 0;
      send({ type: 'count', received });
      break;
    case 'count':
      send({ type: 'count', received });
      break;
    case 'report':
      send({ type: 'report', received, latencyMs: percentiles(samples), disconnects });
      for (const s of sockets) s.disconnect();
      setImmediate(() => process.exit(0));
      break;
  }
});
