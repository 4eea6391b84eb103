import { io, type Socket } from 'socket.io-client';
import type {
  AlertMessage,
  ClientToServerEvents,
  PresenceMessage,
  Scope,
  ServerToClientEvents,
  SubscribeAck,
  TaskMessage,
  TelemetryMessage,
} from './protocol.js';

export type LiveStatus = 'connecting' | 'live' | 'offline' | 'refused';

interface Events {
  telemetry: TelemetryMessage;
  alert: AlertMessage;
  task: TaskMessage;
  presence: PresenceMessage;
  /** Something was missed beyond what the server could replay: reload lists over REST. */
  resync: { scope: Scope; id: string };
  status: LiveStatus;
}

type Listener<K extends keyof Events> = (msg: Events[K]) => void;

interface Subscription {
  scope: Scope;
  id: string;
  refs: number;
}

export interface LiveClientOptions {
  accessToken(): string | null;
  refresh(): Promise<string | null>;
}

/**
 * One Socket.IO connection per tab. Subscriptions are reference-counted (several components may
 * watch the same device) and renewed on every reconnect with the last alert/task cursor seen, so
 * the server replays what was missed while away (or answers resync: lists are then reloaded).
 */
export class LiveClient {
  private socket: Socket<ServerToClientEvents, ClientToServerEvents> | null = null;
  private readonly subs = new Map<string, Subscription>();
  private readonly listeners = new Map<keyof Events, Set<Listener<never>>>();
  private cursor: number | undefined;
  private statusValue: LiveStatus = 'offline';
  /** Auth refusals in a row: a token that keeps being refused after refreshes is not retried forever. */
  private refusals = 0;

  constructor(private readonly opts: LiveClientOptions) {}

  get status(): LiveStatus {
    return this.statusValue;
  }

  start(): void {
    if (this.socket) return;
    const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io({
      path: '/socket.io',
      // a function: every reconnect presents the current (possibly refreshed) token
      auth: (cb) => cb({ token: this.opts.accessToken() ?? '' }),
      transports: ['websocket', 'polling'],
      reconnectionDelayMax: 10_000,
    });
    this.socket = socket;
    this.setStatus('connecting');
    socket.on('connect', () => {
      this.refusals = 0;
      this.setStatus('live');
      for (const sub of this.subs.values()) this.sendSubscribe(sub);
    });
    socket.on('connect_error', async (err: Error & { data?: { code?: string } }) => {
      const code = err.data?.code;
      if (!code || code === 'UNAVAILABLE' || code === 'INTERNAL') {
        // network or a passing server problem: the manager retries with backoff by itself
        this.setStatus('offline');
        return;
      }
      // Refused by the gateway's auth: it will not retry on its own. An expired (or stale
      // setup-time) token is worth one refresh; anything else stays refused.
      const token =
        code === 'TOKEN_INVALID' || code === 'UNAUTHENTICATED' || code === 'FORBIDDEN'
          ? await this.opts.refresh()
          : null;
      if (!token || this.refusals++ > 3) {
        this.setStatus('refused');
        return;
      }
      this.setStatus('connecting');
      socket.connect();
    });
    socket.on('disconnect', () => this.setStatus('offline'));
    socket.on('server:disconnect', ({ reason }) => {
      if (reason === 'token_expired') void this.opts.refresh();
    });
    socket.on('auth:expiring', async () => {
      const token = await this.opts.refresh();
      if (token) socket.emit('auth:refresh', { token }, () => {});
    });
    socket.on('telemetry', (m) => this.emit('telemetry', m));
    socket.on('presence', (m) => this.emit('presence', m));
    socket.on('alert', (m) => {
      this.advance(m.cursor);
      this.emit('alert', m);
    });
    socket.on('task', (m) => {
      this.advance(m.cursor);
      this.emit('task', m);
    });
    socket.on('subscription:revoked', ({ scope, id }) => this.subs.delete(`${scope}:${id}`));
  }

  stop(): void {
    this.socket?.disconnect();
    this.socket = null;
    this.subs.clear();
    this.cursor = undefined;
    this.setStatus('offline');
  }

  /** Pushes a refreshed access token to the open connection (it outlives the old token). */
  tokenChanged(token: string): void {
    if (this.socket?.connected) this.socket.emit('auth:refresh', { token }, () => {});
  }

  /** Watch a scope; returns the release function. */
  subscribe(scope: Scope, id: string): () => void {
    const key = `${scope}:${id}`;
    let sub = this.subs.get(key);
    if (!sub) {
      sub = { scope, id, refs: 0 };
      this.subs.set(key, sub);
      if (this.socket?.connected) this.sendSubscribe(sub);
    }
    sub.refs++;
    return () => {
      const s = this.subs.get(key);
      if (!s) return;
      s.refs--;
      if (s.refs <= 0) {
        this.subs.delete(key);
        if (this.socket?.connected) this.socket.emit('unsubscribe', { scope, id }, () => {});
      }
    };
  }

  on<K extends keyof Events>(type: K, fn: Listener<K>): () => void {
    let set = this.listeners.get(type);
    if (!set) {
      set = new Set();
      this.listeners.set(type, set);
    }
    set.add(fn as Listener<never>);
    return () => set.delete(fn as Listener<never>);
  }

  private emit<K extends keyof Events>(type: K, msg: Events[K]): void {
    for (const fn of this.listeners.get(type) ?? []) (fn as Listener<K>)(msg);
  }

  private setStatus(s: LiveStatus): void {
    if (s === this.statusValue) return;
    this.statusValue = s;
    this.emit('status', s);
  }

  private advance(cursor: number): void {
    if (this.cursor === undefined || cursor > this.cursor) this.cursor = cursor;
  }

  private sendSubscribe(sub: Subscription): void {
    const since = this.cursor;
    this.socket?.emit(
      'subscribe',
      { scope: sub.scope, id: sub.id, ...(since !== undefined ? { since } : {}) },
      (ack: SubscribeAck) => {
        if (!ack.ok) return;
        if (ack.resync) this.emit('resync', { scope: sub.scope, id: sub.id });
        this.advance(ack.cursor);
      },
    );
  }
}
