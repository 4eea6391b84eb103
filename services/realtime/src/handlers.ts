import { AppError } from '@telemetry/contracts';
import type { Logger } from '@telemetry/observability';
import type pg from 'pg';
import { checkSubscription } from './access.js';
import { ackError, authenticate, createRevocationCheck } from './auth.js';
import type { Directory } from './directory.js';
import type { RealtimeMetrics } from './metrics.js';
import {
  type RefreshAck,
  RefreshRequest,
  roomOf,
  type Scope,
  type SubscribeAck,
  SubscribeRequest,
  UnsubscribeRequest,
} from './protocol.js';
import { changedSince } from './replay.js';
import { roomsFor } from './routing.js';
import type { Session } from './session.js';
import { loadWorkView, seesWork } from './work-view.js';

export interface HandlerContext {
  directory: Directory;
  pool: pg.Pool;
  metrics: RealtimeMetrics;
  logger: Logger;
  jwtSecret: string;
  maxSubscriptions: number;
  resumeOverlapMs: number;
  /** A `since` older than this is not replayed: the client is told to resync over REST. */
  resumeWindowMs: number;
  replayLimit: number;
  now: () => number;
}

/** The client → server events of one socket: subscribe, unsubscribe, auth:refresh. */
export function attachHandlers(session: Session, ctx: HandlerContext): void {
  const { socket } = session;
  socket.on('subscribe', (raw, ack) => {
    void subscribe(session, ctx, raw).then(reply(ack));
  });
  socket.on('unsubscribe', (raw, ack) => {
    const parsed = UnsubscribeRequest.safeParse(raw);
    if (!parsed.success) return reply(ack)(invalid(parsed.error.message));
    const room = roomOf(parsed.data.scope, parsed.data.id);
    session.subscriptions.delete(room);
    void socket.leave(room);
    reply(ack)({ ok: true });
  });
  socket.on('auth:refresh', (raw, ack) => {
    void refresh(session, ctx, raw).then(reply(ack));
  });
}

async function subscribe(session: Session, ctx: HandlerContext, raw: unknown): Promise<SubscribeAck> {
  const parsed = SubscribeRequest.safeParse(raw);
  if (!parsed.success) return invalid(parsed.error.message);
  const { scope, id, since } = parsed.data;
  const room = roomOf(scope, id);
  if (!session.subscriptions.has(room) && session.subscriptions.size >= ctx.maxSubscriptions) {
    ctx.metrics.subscriptions.inc({ outcome: 'limit' });
    return ackError(new AppError('RATE_LIMITED', `At most ${ctx.maxSubscriptions} subscriptions per connection`));
  }
  const cursor = ctx.now();
  try {
    await checkSubscription(ctx.directory, session.user, scope, id);
  } catch (err) {
    ctx.metrics.subscriptions.inc({ outcome: err instanceof AppError ? err.code.toLowerCase() : 'error' });
    if (!(err instanceof AppError)) ctx.logger.error({ err, scope, id }, 'realtime: subscription check failed');
    return ackError(
      err instanceof AppError ? err : new AppError('UNAVAILABLE', 'Cannot check access now', { cause: err }),
    );
  }
  if (session.isClosed) return ackError(new AppError('UNAUTHENTICATED', 'Disconnected'));
  // Join before reading the database: whatever changes from now on arrives live, so the replay
  // and the live stream overlap instead of leaving a gap.
  await session.socket.join(room);
  session.subscriptions.set(room, { scope, id });
  ctx.metrics.subscriptions.inc({ outcome: 'ok' });

  let replayed = 0;
  let resync = false;
  if (since !== undefined) {
    try {
      ({ replayed, resync } = await replay(session, ctx, scope, id, room, since));
    } catch (err) {
      ctx.logger.warn({ err, scope, id }, 'realtime: replay failed; client told to resync');
      resync = true;
    }
  }
  return { ok: true, room, replayed, resync, cursor };
}

async function replay(
  session: Session,
  ctx: HandlerContext,
  scope: Scope,
  id: string,
  room: string,
  since: number,
): Promise<{ replayed: number; resync: boolean }> {
  const now = ctx.now();
  if (now - since > ctx.resumeWindowMs) return { replayed: 0, resync: true };
  const tenantId = await tenantOf(ctx.directory, scope, id);
  if (!tenantId) return { replayed: 0, resync: false };
  const rows = await changedSince(ctx.pool, tenantId, since - ctx.resumeOverlapMs, ctx.replayLimit);
  if (rows.truncated) return { replayed: 0, resync: true };
  // Routed exactly like live messages, so a scope replays what it would have received.
  // An operator's own view applies to the replay as to live pushes (work-view.ts).
  const view = session.workView;
  const alerts = [];
  for (const row of rows.alerts) {
    const rooms = await roomsFor(ctx.directory, row.alert);
    if (rooms.includes(room) && seesWork(view, { kind: 'alert', rooms, data: row.alert })) alerts.push(row);
  }
  const tasks = [];
  for (const row of rows.tasks) {
    const rooms = await roomsFor(ctx.directory, row.task);
    if (rooms.includes(room) && seesWork(view, { kind: 'task', rooms, data: row.task })) tasks.push(row);
  }
  // One round of writes (see Session.deliverRound); a client already too slow is cut off here.
  if (!session.admit(ctx.now())) return { replayed: 0, resync: true };
  for (const { cursor, alert } of alerts) session.sendAlert({ cursor, replay: true, alert });
  for (const { cursor, task } of tasks) session.sendTask({ cursor, replay: true, task });
  return { replayed: alerts.length + tasks.length, resync: false };
}

async function tenantOf(directory: Directory, scope: Scope, id: string): Promise<string | null> {
  switch (scope) {
    case 'tenant':
      return id;
    case 'site':
      return (await directory.site(id))?.tenantId ?? null;
    case 'asset':
      return (await directory.asset(id))?.tenantId ?? null;
    case 'device':
      return (await directory.device(id))?.tenantId ?? null;
  }
}

/**
 * A fresh token keeps the socket open past the old one's expiry. It must be the same user; the
 * user's rights are read again and subscriptions that are no longer allowed are dropped.
 */
async function refresh(session: Session, ctx: HandlerContext, raw: unknown): Promise<RefreshAck> {
  const parsed = RefreshRequest.safeParse(raw);
  if (!parsed.success) return invalid(parsed.error.message);
  let result: Awaited<ReturnType<typeof authenticate>>;
  try {
    ctx.directory.forget(session.user.id);
    result = await authenticate(
      ctx.directory,
      ctx.jwtSecret,
      parsed.data.token,
      ctx.now,
      createRevocationCheck(ctx.pool),
    );
  } catch (err) {
    return ackError(err);
  }
  if (result.claims.sub !== session.user.id) {
    return ackError(new AppError('TOKEN_INVALID', 'The new token is for another user'));
  }
  session.user = result.user;
  session.armExpiry(result.claims.exp, ctx.now());
  // reads the user's work view again (once) and drops what the rights no longer allow
  await revalidate(session, ctx);
  session.socket.data = { ...result, workView: session.workView };
  return { ok: true, exp: result.claims.exp };
}

/** Drops (and tells the client about) every subscription the user's current rights no longer allow. */
export async function revalidate(session: Session, ctx: Pick<HandlerContext, 'directory' | 'now'>): Promise<void> {
  session.workView = await loadWorkView(ctx.directory, session.user, ctx.now()).catch(() => session.workView);
  let dropped = false;
  for (const [room, { scope, id }] of session.subscriptions) {
    try {
      await checkSubscription(ctx.directory, session.user, scope, id);
    } catch (err) {
      if (err instanceof AppError && (err.code === 'FORBIDDEN' || err.code === 'NOT_FOUND')) {
        session.subscriptions.delete(room);
        dropped = true;
        await session.socket.leave(room);
        session.socket.emit('subscription:revoked', { scope, id });
      }
    }
  }
  // held-back telemetry may belong to a room just left
  if (dropped) session.dropPending();
}

function invalid(message: string) {
  return ackError(new AppError('VALIDATION_FAILED', message));
}

/** Clients may emit without an ack callback; then there is nobody to answer. */
function reply<T>(ack: unknown): (res: T) => void {
  return typeof ack === 'function' ? (res: T) => (ack as (r: T) => void)(res) : () => undefined;
}
