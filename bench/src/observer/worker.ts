/**
 * The dashboard side, a child process of the bench: one Socket.IO client subscribed to the bench
 * tenant, as a dashboard is. Every `telemetry` push carries the event's trace, so per event:
 *   device publish → stored  = trace.stored − trace.device   (the pipeline's commit time)
 *   device publish → socket  = receive time − trace.device
 * trace.device is the payload's ts, written by the load generator at publish: one machine, one clock.
 * And per `alert` push of the bench's rule that opens an episode:
 *   device publish → alert opened = receive time − alert.openedAt
 * openedAt is the device time (payload ts) of the event that opened the episode (rule-engine's
 * open_alert effect `at`), so this is the whole path: gateway, pipeline, rules, realtime.
 */
import { io, type Socket } from 'socket.io-client';
import { serve } from '../rpc.js';
import { Reservoir } from '../stats.js';

interface AlertPush {
  replay?: boolean;
  alert?: { alertId?: string; ruleId?: string | null; change?: string; openedAt?: string };
}

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
let ruleId: string | undefined;
/** Alerts opened at or after this (ms, device time) are the step's. */
let since = 0;
const opened = new Set<string>();
const toAlert = new Reservoir(200_000);

interface OpenParams {
  url: string;
  token: string;
  tenantId: string;
  /** The bench's alert rule: its opened alerts are timed. */
  ruleId?: string;
}

async function open(p: OpenParams): Promise<{ subscribed: boolean }> {
  ruleId = p.ruleId;
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
  s.on('alert', (m: AlertPush) => {
    const now = Date.now();
    const a = m.alert;
    if (m.replay || !a?.alertId || a.change !== 'opened' || !ruleId || a.ruleId !== ruleId || !a.openedAt) return;
    const at = Date.parse(a.openedAt);
    if (!(at >= since) || opened.has(a.alertId)) return;
    opened.add(a.alertId);
    toAlert.add(now - at);
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
    open: (p: OpenParams) => open(p),
    /** Start of a step: only events whose id starts with `tag-`, alerts opened from `since`, count from now on. */
    reset: (p: { tag: string; since?: number }) => {
      tag = `${p.tag}-`;
      since = p.since ?? Date.now();
      opened.clear();
      toAlert.clear();
      received = 0;
      lastStored = 0;
      toStored.clear();
      toSocket.clear();
      return { ok: true };
    },
    count: () => ({ received, lastStored, alertsOpened: opened.size }),
    report: () => ({
      received,
      lastStored,
      disconnects,
      toStored: Float64Array.from(toStored.values),
      toSocket: Float64Array.from(toSocket.values),
      alertsOpened: opened.size,
      toAlert: Float64Array.from(toAlert.values),
    }),
  },
  async () => {
    socket?.disconnect();
  },
);
