import type { Bus, OutgoingMessage } from '@telemetry/bus';
import type { DevicePresenceV1 } from '@telemetry/contracts';
import type { Logger } from '@telemetry/observability';
import type { DevicePresence, PresenceChange } from '@telemetry/registry';
import { backoffMs, sleep } from '@telemetry/runtime';
import type { GatewayMetrics } from './metrics.js';
import type { PresenceReason, Session } from './session.js';

export interface Presence {
  online(session: Session): void;
  offline(session: Session, reason: PresenceReason): void;
  /** Writes devices.last_seen_at of the sessions active since the last call. */
  flushLastSeen(sessions: Iterable<Session>): Promise<void>;
  /** Resolves when every recorded change is written (or given up). */
  drain(): Promise<void>;
}

const ATTEMPTS = 5;
/** Above this many unwritten changes (bus and store both down for long) new ones are dropped and counted. */
const MAX_PENDING = 50_000;
/** Changes per statement / bus publish. */
const MAX_BATCH = 1_000;

interface Change {
  deviceId: string;
  at: Date;
  status: 'online' | 'offline';
  reason: PresenceReason;
  message: Buffer;
}

/**
 * device.presence.v1 + devices.online/last_connected_at, per device in the order the changes
 * happened (a takeover is offline then online, never the reverse). Presence is best effort with
 * retries: unlike telemetry there is nothing to withhold from the device while the bus is down.
 *
 * Changes are written in batches, one at a time: one multi-row statement (presence.recordPresence)
 * then one bus publish per batch, so a connect storm is a few statements, not one per CONNECT. A
 * batch holds at most one change per device (the statement updates each row once); a device's next
 * change waits for a later batch, which keeps its order in the database and on the bus.
 */
export function createPresence(deps: {
  bus: Bus;
  topic: string;
  presence: DevicePresence;
  gatewayId: string;
  logger: Logger;
  metrics: GatewayMetrics;
}): Presence {
  const { bus, topic, presence, gatewayId, logger, metrics } = deps;
  let queue: Change[] = [];
  let running: Promise<void> | undefined;
  const flushed = new WeakMap<Session, number>();

  /** Store, then bus, each retried; after ATTEMPTS the batch is given up and counted. */
  const write = async (batch: Change[]) => {
    let stored = false;
    let published = false;
    for (let attempt = 1; ; attempt++) {
      try {
        if (!stored) {
          await presence.recordPresence(
            batch.map(
              (c): PresenceChange => ({ deviceId: c.deviceId, gatewayId, at: c.at, online: c.status === 'online' }),
            ),
          );
          stored = true;
        }
        if (!published) {
          await bus.publish(
            topic,
            batch.map((c): OutgoingMessage => ({ key: c.deviceId, value: c.message })),
          );
          published = true;
        }
        return;
      } catch (err) {
        if (attempt >= ATTEMPTS) {
          metrics.presenceDropped.inc(batch.length);
          logger.warn({ err, changes: batch.length, stored }, 'presence changes not recorded');
          return;
        }
        await sleep(backoffMs(attempt + 1, { baseMs: 200, maxMs: 200 * 2 ** ATTEMPTS }));
      }
    }
  };

  /** The first change of each device still queued, in order; the rest stays queued, in order. */
  const takeBatch = (): Change[] => {
    const batch: Change[] = [];
    const rest: Change[] = [];
    const seen = new Set<string>();
    for (const c of queue) {
      if (batch.length < MAX_BATCH && !seen.has(c.deviceId)) batch.push(c);
      else rest.push(c);
      seen.add(c.deviceId);
    }
    queue = rest;
    return batch;
  };

  const run = async () => {
    // Let the CONNECTs of this turn of the event loop join the first batch.
    await new Promise((r) => setImmediate(r));
    while (queue.length > 0) await write(takeBatch());
    running = undefined;
  };

  const enqueue = (session: Session, status: 'online' | 'offline', reason: PresenceReason) => {
    if (queue.length >= MAX_PENDING) {
      metrics.presenceDropped.inc();
      return;
    }
    const at = new Date();
    const { deviceId, tenantId } = session.identity;
    // Built by code typed against the schema from values that satisfy it (ids of the registry, an
    // ISO time of now), so it is not parsed again.
    const event: DevicePresenceV1 = { v: 1, tenantId, deviceId, status, reason, gatewayId, at: at.toISOString() };
    queue.push({ deviceId, at, status, reason, message: Buffer.from(JSON.stringify(event)) });
    running ??= run();
  };

  return {
    online: (session) => enqueue(session, 'online', 'connect'),
    offline: (session, reason) => enqueue(session, 'offline', reason),
    async flushLastSeen(sessions) {
      const seen = [];
      for (const s of sessions) {
        if (s.lastSeen > (flushed.get(s) ?? s.connectedAt)) {
          seen.push({ deviceId: s.identity.deviceId, at: new Date(s.lastSeen) });
          flushed.set(s, s.lastSeen);
        }
      }
      for (let i = 0; i < seen.length; i += 5_000) {
        await presence.touch(seen.slice(i, i + 5_000));
      }
    },
    async drain() {
      while (running) await running;
    },
  };
}
