import type { AccessClaims } from '@telemetry/auth';
import type { AlertV1, DevicePresenceV1, SessionRevokedV1, TaskV1, TelemetryAcceptedV1 } from '@telemetry/contracts';
import type { Server, Socket } from 'socket.io';
import type { UserRecord } from './directory.js';
import type { RealtimeMetrics } from './metrics.js';
import type {
  AlertMessage,
  ClientToServerEvents,
  DisconnectReason,
  Scope,
  ServerToClientEvents,
  TaskMessage,
} from './protocol.js';
import type { WorkView } from './work-view.js';

/** Between gateway instances (through the redis adapter): deliveries routed by the consuming instance. */
export interface InterServerEvents {
  'rt:deliver': (deliveries: Delivery[]) => void;
  /** auth.sessions.v1 messages consumed by another instance: re-check these users' sockets here too. */
  'rt:revoke': (messages: SessionRevokedV1[]) => void;
}

export interface SocketData {
  claims: AccessClaims;
  user: UserRecord;
  /** Which alerts and tasks this user may receive (operators only; work-view.ts). */
  workView: WorkView | null;
}

export type RealtimeSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
export type RealtimeServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

export interface SessionLimits {
  /** Per device and client: at most one telemetry update per this many ms (1000 / maxUpdatesPerSecond). */
  minIntervalMs: number;
  /** Packets waiting in the socket's buffer above which telemetry is held back (latest wins). */
  softBuffer: number;
  /** Packets waiting above which the client is disconnected as too slow. */
  maxBuffer: number;
  /** A client whose buffer stays above softBuffer this long is disconnected as too slow. */
  drainTimeoutMs: number;
}

/** What is delivered to sockets: one bus message, already routed to its rooms. */
export type Delivery =
  | { kind: 'telemetry'; rooms: string[]; data: TelemetryAcceptedV1 }
  | { kind: 'alert'; rooms: string[]; cursor: number; data: AlertV1 }
  | { kind: 'task'; rooms: string[]; cursor: number; data: TaskV1 }
  | { kind: 'presence'; rooms: string[]; data: DevicePresenceV1 };

/**
 * One connected client's flow control. Telemetry is coalesced per client and device: at most one
 * update per `minIntervalMs`, and none while the client's buffer is above `softBuffer`; meanwhile
 * only the newest value waits (drop-oldest), so a slow client costs one pending value per device,
 * never a growing queue, and never delays anyone else. Alerts, tasks and presence are never
 * coalesced: a client that lets the buffer grow past `maxBuffer`, or stays congested for
 * `drainTimeoutMs`, is disconnected with reason `slow_client` and resumes from the database when
 * it comes back (replay.ts).
 *
 * The buffer is judged once per round of writes (admit): what one synchronous round writes has
 * had no chance to drain yet, and counting it would cut off fast clients during a burst. So the
 * buffer is bounded by maxBuffer plus one round (one bus batch, at most 500 messages).
 */
export class Session {
  readonly subscriptions = new Map<string, { scope: Scope; id: string }>();
  private readonly pending = new Map<string, TelemetryAcceptedV1>();
  private readonly lastSent = new Map<string, number>();
  private congestedSince: number | undefined;
  private expiryTimer: NodeJS.Timeout | undefined;
  private warnTimer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Read again every directory TTL (realtime.ts); null = every alert and task of the session's rooms. */
  workView: WorkView | null = null;

  constructor(
    readonly socket: RealtimeSocket,
    public user: UserRecord,
    private readonly limits: SessionLimits,
    private readonly metrics: RealtimeMetrics,
    /** Called while telemetry is held back or the client is congested: the dispatcher's tick calls flush(). */
    private readonly markDirty: (s: Session) => void,
  ) {}

  get isClosed(): boolean {
    return this.closed || !this.socket.connected;
  }

  /** Start of a round of writes: false (and disconnected) when the client is too slow for more. */
  admit(now: number): boolean {
    if (this.isClosed) return false;
    const stalled = this.congested(now) && now - (this.congestedSince ?? now) >= this.limits.drainTimeoutMs;
    if (this.buffered() < this.limits.maxBuffer && !stalled) return true;
    this.metrics.slowDisconnects.inc();
    this.kick('slow_client');
    return false;
  }

  /** The buffer is above the soft limit (telemetry is being held back). */
  congested(now: number): boolean {
    if (this.buffered() < this.limits.softBuffer) {
      this.congestedSince = undefined;
      return false;
    }
    this.congestedSince ??= now;
    return true;
  }

  /**
   * True: send this reading to the client now (the caller writes it). False: it waits as the
   * device's pending value (replacing an older one) until the interval has passed and the
   * buffer has room.
   */
  acceptTelemetry(msg: TelemetryAcceptedV1, now: number, congested: boolean): boolean {
    const device = msg.deviceId;
    const held = this.pending.get(device);
    if (!held && !congested && now - (this.lastSent.get(device) ?? -Infinity) >= this.limits.minIntervalMs) {
      this.lastSent.set(device, now);
      return true;
    }
    if (held) this.metrics.coalesced.inc();
    // Latest wins; but a late (out-of-order) event never replaces a newer pending one.
    if (!held || !msg.late || Date.parse(msg.ts) >= Date.parse(held.ts)) this.pending.set(device, msg);
    this.markDirty(this);
    return false;
  }

  /** End of a round: a congested client is looked at again on the next ticks. */
  afterRound(now: number): void {
    if (this.congested(now)) this.markDirty(this);
  }

  /** Sends what is due; returns true while something is pending or the client is congested. */
  flush(now: number): boolean {
    if (!this.admit(now)) {
      this.pending.clear();
      return false;
    }
    if (this.congested(now)) return true;
    for (const [device, msg] of this.pending) {
      if (now - (this.lastSent.get(device) ?? -Infinity) < this.limits.minIntervalMs) continue;
      this.pending.delete(device);
      this.lastSent.set(device, now);
      this.socket.emit('telemetry', withPushed(msg, now));
      this.metrics.emits.inc({ event: 'telemetry' });
      observePush(this.metrics, msg, now);
    }
    this.pruneLastSent(now);
    return this.pending.size > 0;
  }

  sendAlert(msg: AlertMessage): void {
    this.socket.emit('alert', msg);
    this.metrics.emits.inc({ event: 'alert' });
  }

  sendTask(msg: TaskMessage): void {
    this.socket.emit('task', msg);
    this.metrics.emits.inc({ event: 'task' });
  }

  /**
   * Packets engine.io holds for this client that the transport has not taken yet: it hands the
   * transport one batch at a time and keeps the rest here until the client has read the last one
   * (websocket: the write completed; polling: the next GET came). Not in engine.io's typings.
   */
  buffered(): number {
    const conn = this.socket.conn as unknown as { writeBuffer?: unknown[] };
    return conn.writeBuffer?.length ?? 0;
  }

  private pruneLastSent(now: number): void {
    if (this.lastSent.size < 1024) return;
    for (const [device, at] of this.lastSent) {
      if (now - at >= this.limits.minIntervalMs && !this.pending.has(device)) this.lastSent.delete(device);
    }
  }

  /**
   * Arms the disconnect at the token's expiry (seconds since epoch), with a warning 30 s before.
   * A valid `auth:refresh` re-arms it with the new token's expiry.
   */
  armExpiry(exp: number, now: number): void {
    clearTimeout(this.expiryTimer);
    clearTimeout(this.warnTimer);
    const inMs = exp * 1000 - now;
    // setTimeout overflows past 2^31-1 ms (~24.8 days); no access token lives that long.
    const clamp = (ms: number) => Math.min(Math.max(0, ms), 2 ** 31 - 1);
    this.expiryTimer = setTimeout(() => this.kick('token_expired'), clamp(inMs));
    if (inMs > 30_000)
      this.warnTimer = setTimeout(() => this.socket.emit('auth:expiring', { exp }), clamp(inMs - 30_000));
  }

  /** Tells the client why, then closes it. The client does not reconnect by itself ("io server disconnect"). */
  kick(reason: DisconnectReason): void {
    if (this.closed) return;
    this.closed = true;
    this.dispose();
    this.metrics.disconnects.inc({ reason });
    this.socket.emit('server:disconnect', { reason });
    this.socket.disconnect(true);
    if (reason === 'slow_client') {
      // disconnect() closes the connection only after the buffer drained, which a stalled client
      // never does: discard the buffer and cut it now (aedes#1060 is the same lesson).
      const conn = this.socket.conn as unknown as {
        close(discard?: boolean): void;
        transport?: { socket?: { terminate?: () => void } };
      };
      conn.close(true);
      conn.transport?.socket?.terminate?.();
    }
  }

  /** Forgets held-back telemetry (its room may no longer be allowed). */
  dropPending(): void {
    this.pending.clear();
  }

  /** Timers and buffers; called on every disconnect. */
  dispose(): void {
    clearTimeout(this.expiryTimer);
    clearTimeout(this.warnTimer);
    this.pending.clear();
    this.lastSent.clear();
  }
}

/** The reading as pushed: trace.pushed is when it was written to the socket(s). */
export function withPushed(msg: TelemetryAcceptedV1, now: number): TelemetryAcceptedV1 {
  return { ...msg, trace: { ...msg.trace, pushed: now } };
}

/** Device (or, when the device sent no time, edge receive) → push, once per write. */
export function observePush(metrics: RealtimeMetrics, msg: TelemetryAcceptedV1, now: number): void {
  const from = msg.trace.device ?? Date.parse(msg.receivedAt);
  if (Number.isFinite(from)) metrics.pushLatency.observe(Math.max(0, now - from) / 1000);
}
