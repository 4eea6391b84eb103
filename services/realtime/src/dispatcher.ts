import type { RealtimeMetrics } from './metrics.js';
import { type Delivery, observePush, type RealtimeServer, type Session, withPushed } from './session.js';
import { seesWork } from './work-view.js';

/**
 * Fans deliveries out to this instance's sockets. Room membership is local to each instance (the
 * redis adapter keeps rooms in memory too). Per delivery, each session in its rooms decides
 * (coalescing, slow-client limits: session.ts); the sockets that take it now get ONE local
 * broadcast, so the packet is encoded once however many clients receive it, and a socket in
 * several of the event's rooms (its device, its site, its tenant) gets it once. A timer flushes
 * held-back telemetry.
 */
export interface Dispatcher {
  add(session: Session): void;
  remove(session: Session): void;
  /** A session holds telemetry back or is congested: flush it on the next ticks until it is not. */
  markDirty(session: Session): void;
  deliver(deliveries: Delivery[]): void;
  readonly sessions: ReadonlyMap<string, Session>;
  close(): void;
}

export function createDispatcher(opts: {
  io: RealtimeServer;
  metrics: RealtimeMetrics;
  tickMs: number;
  now?: () => number;
}): Dispatcher {
  const { io, metrics } = opts;
  const now = opts.now ?? Date.now;
  const sessions = new Map<string, Session>();
  const dirty = new Set<Session>();
  const timer = setInterval(() => {
    if (dirty.size === 0) return;
    const t = now();
    for (const s of dirty) if (!s.flush(t)) dirty.delete(s);
  }, opts.tickMs);
  timer.unref();

  /** One write of a delivery to the given local sockets (socket ids are rooms of their own). */
  const broadcast = (ids: string[], d: Delivery, t: number) => {
    // `local`: with the redis adapter, this instance's sockets only; the others got the delivery itself.
    const to = io.local.to(ids);
    switch (d.kind) {
      case 'telemetry':
        to.emit('telemetry', withPushed(d.data, t));
        observePush(metrics, d.data, t);
        break;
      case 'alert':
        to.emit('alert', { cursor: d.cursor, replay: false, alert: d.data });
        break;
      case 'task':
        to.emit('task', { cursor: d.cursor, replay: false, task: d.data });
        break;
      case 'presence':
        to.emit('presence', d.data);
        break;
    }
    metrics.emits.inc({ event: d.kind }, ids.length);
  };

  return {
    sessions,
    add(session) {
      sessions.set(session.socket.id, session);
    },
    remove(session) {
      sessions.delete(session.socket.id);
      dirty.delete(session);
    },
    markDirty(session) {
      dirty.add(session);
    },
    deliver(deliveries) {
      const rooms = io.of('/').adapter.rooms;
      const t = now();
      // Each session is admitted once per round (see Session): null = closed or cut off.
      const round = new Map<string, { session: Session; congested: boolean } | null>();
      const admitted = (id: string) => {
        let entry = round.get(id);
        if (entry === undefined) {
          const session = sessions.get(id);
          entry = session?.admit(t) ? { session, congested: session.congested(t) } : null;
          round.set(id, entry);
        }
        return entry;
      };
      for (const d of deliveries) {
        const targets = new Set<string>();
        for (const room of d.rooms) {
          const members = rooms.get(room);
          if (members) for (const id of members) targets.add(id);
        }
        const ids: string[] = [];
        for (const id of targets) {
          const entry = admitted(id);
          if (!entry) continue;
          if (d.kind === 'alert' || d.kind === 'task') {
            if (seesWork(entry.session.workView, d)) ids.push(id);
          } else if (d.kind !== 'telemetry' || entry.session.acceptTelemetry(d.data, t, entry.congested)) ids.push(id);
        }
        if (ids.length > 0) broadcast(ids, d, t);
      }
      for (const entry of round.values()) entry?.session.afterRound(t);
    },
    close() {
      clearInterval(timer);
      dirty.clear();
    },
  };
}
