/**
 * The dashboard side, a child process of the bench: one Socket.IO client subscribed to the bench
 * tenant, as a dashboard is. Every `telemetry` push carries the event's trace, so per event:
 *   device publish → stored  = trace.stored − trace.device   (the pipeline's commit time)
 *   device publish → socket  = receive time − trace.device
 * trace.device is the payload's ts, written by the load generator at publish: one machine, one clock.
 */
import { io, type Socket } from 'socket.io-client';
import { serve } from '../rpc.js';
import { Reservoir } from '../stats.js';

interface Pushed {
  eventId?: string;
  trace?: { device?: number; stored?: number; pushed?: number };
}

let socket: Socket | undefined;
let tag = '';
let received = 0;
let lastStored = 0;
let disconnects = 0;
const toStored = new Reservoir(200_000);
const toSocket = new Reservoir(200_000);

async function open(p: { url: string; token: string; tenantId: string }): Promise<{ subscribed: boolean }> {
  const s = io(p.url, { auth: { token: p.token }, transports: ['websocket'], reconnection: false, forceNew: true });
  socket = s;
  s.on('telemetry', (m: Pushed) => {
    const now = Date.now();
    // events of an earlier step still arriving are not this step's
    if (!m.eventId?.startsWith(tag)) return;
    received++;
    const t = m.trace;
    if (t?.device === undefined) return;
    toSocket.add(now - t.device);
    if (t.stored !== undefined) {
      toStored.add(t.stored - t.device);
      if (t.stored > lastStored) lastStored = t.stored;
    }
  });
  s.on('disconnect', () => disconnects++);
  await new Promise<void>((resolve, reject) => {
    s.once('connect', () => resolve());
    s.once('connect_error', (err) => reject(new Error(`socket.io connect refused: ${err.message}`)));
  });
  const ack = (await s.timeout(30_000).emitWithAck('subscribe', { scope: 'tenant', id: p.tenantId })) as {
    ok: boolean;
    error?: unknown;
  };
  if (!ack.ok) throw new Error(`subscribe refused: ${JSON.stringify(ack.error)}`);
  return { subscribed: true };
}

serve(
  {
    open: (p: { url: string; token: string; tenantId: string }) => open(p),
    /** Start of a step: only events whose id starts with `tag-` count from now on. */
    reset: (p: { tag: string }) => {
      tag = `${p.tag}-`;
      received = 0;
      lastStored = 0;
      toStored.clear();
      toSocket.clear();
      return { ok: true };
    },
    count: () => ({ received, lastStored }),
    report: () => ({
      received,
      lastStored,
      disconnects,
      toStored: Float64Array.from(toStored.values),
      toSocket: Float64Array.from(toSocket.values),
    }),
  },
  async () => {
    socket?.disconnect();
  },
);
