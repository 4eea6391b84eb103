import type { Batch, Bus, Subscription } from '@telemetry/bus';
import { decodeMessage, SessionRevokedV1, Topics } from '@telemetry/contracts';
import type { Logger } from '@telemetry/observability';
import type { RevocationCheck } from './auth.js';
import type { Directory } from './directory.js';
import type { RealtimeMetrics } from './metrics.js';
import type { Session } from './session.js';

/**
 * Revocation reaching open sockets at once (#20). The API writes auth.sessions.v1 through its
 * outbox in the transaction that ends a session or narrows a user's rights (logout, password
 * change or reset, deletion, role change, unassignment, refresh-token reuse). One instance of the
 * shared consumer group takes each message, applies it to its own sockets and forwards it to the
 * others over the redis adapter (serverSideEmit), like deliveries.
 *
 * The message only says "look at this user now": each of the user's sockets is checked against
 * the database as at the handshake (token's jti or session revoked, user gone or moved: closed
 * with `session_revoked`; otherwise the role is re-read and subscriptions no longer allowed are
 * dropped with `subscription:revoked`). A check that cannot run closes the socket (fail closed;
 * the client reconnects and is checked again at the handshake).
 */
export function createRevoker(deps: {
  directory: Directory;
  isRevoked: RevocationCheck;
  sessions: () => Iterable<Session>;
  revalidate: (session: Session) => Promise<void>;
  metrics: RealtimeMetrics;
  logger: Logger;
}): (messages: SessionRevokedV1[]) => Promise<void> {
  const recheck = async (session: Session) => {
    const claims = session.socket.data.claims;
    try {
      const [user, revoked] = await Promise.all([deps.directory.user(claims.sub), deps.isRevoked(claims)]);
      if (revoked || !user || user.tenantId !== claims.tid) {
        session.kick('session_revoked');
        return;
      }
      session.user = user;
      session.socket.data.user = user;
      await deps.revalidate(session);
    } catch (err) {
      deps.logger.warn({ err, userId: claims.sub }, 'realtime: revocation check failed; socket closed');
      session.kick('session_revoked');
    }
  };

  return async (messages) => {
    const users = new Set(messages.map((m) => m.userId));
    for (const id of users) deps.directory.forget(id);
    const affected: Session[] = [];
    for (const s of deps.sessions()) if (!s.isClosed && users.has(s.user.id)) affected.push(s);
    await Promise.all(affected.map(recheck));
    deps.metrics.revocations.inc(messages.length);
  };
}

/** Consumes auth.sessions.v1 in the shared group; `apply` is this instance's, `forward` tells the others. */
export async function startRevocationConsumer(deps: {
  bus: Bus;
  groupId: string;
  logger: Logger;
  apply: (messages: SessionRevokedV1[]) => Promise<void>;
  forward: (messages: SessionRevokedV1[]) => void;
}): Promise<Subscription> {
  const handler = async (batch: Batch) => {
    const messages: SessionRevokedV1[] = [];
    for (const m of batch.messages) {
      try {
        messages.push(decodeMessage(SessionRevokedV1, m.value));
      } catch (err) {
        deps.logger.warn({ err, offset: m.offset }, 'realtime: undecodable auth.sessions.v1 message skipped');
      }
    }
    if (messages.length === 0) return;
    deps.forward(messages);
    await deps.apply(messages);
  };
  await deps.bus.ensureTopics([{ name: Topics.sessions }]);
  return deps.bus.subscribe({
    groupId: deps.groupId,
    topics: [Topics.sessions],
    handler,
    durable: false,
    // a revocation is about sockets open now; older ones were checked at their handshake
    fromBeginning: false,
    maxBatchSize: 500,
  });
}
