import type { Bus } from '@telemetry/bus';
import { DevicePresenceV1, encodeMessage } from '@telemetry/contracts';
import type { Logger } from '@telemetry/observability';
import type { Registry } from '@telemetry/registry';
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

/**
 * device.presence.v1 + devices.online/last_connected_at, per device in the order the changes
 * happened (a takeover is offline then online, never the reverse). Presence is best effort with
 * retries: unlike telemetry there is nothing to withhold from the device while the bus is down.
 */
export function createPresence(deps: {
  bus: Bus;
  topic: string;
  registry: Registry;
  gatewayId: string;
  logger: Logger;
  metrics: GatewayMetrics;
}): Presence {
  const { bus, topic, registry, gatewayId, logger, metrics } = deps;
  const chains = new Map<string, Promise<void>>();
  let pending = 0;
  const flushed = new WeakMap<Session, number>();

  const record = async (session: Session, status: 'online' | 'offline', reason: PresenceReason, at: Date) => {
    const { deviceId, tenantId } = session.identity;
    const message = encodeMessage(DevicePresenceV1, {
      v: 1,
      tenantId,
      deviceId,
      status,
      reason,
      gatewayId,
      at: at.toISOString(),
    });
    let stored = false;
    let published = false;
    for (let attempt = 1; ; attempt++) {
      try {
        if (!stored) {
          if (status === 'online') await registry.recordConnected(deviceId, gatewayId, at);
          else await registry.recordDisconnected(deviceId, gatewayId, at);
          stored = true;
        }
        if (!published) {
          await bus.publish(topic, [{ key: deviceId, value: message }]);
          published = true;
        }
        return;
      } catch (err) {
        if (attempt >= ATTEMPTS) {
          metrics.presenceDropped.inc();
          logger.warn({ err, deviceId, status, reason }, 'presence change not recorded');
          return;
        }
        await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
      }
    }
  };

  const enqueue = (session: Session, status: 'online' | 'offline', reason: PresenceReason) => {
    if (pending >= MAX_PENDING) {
      metrics.presenceDropped.inc();
      return;
    }
    pending++;
    const at = new Date();
    const deviceId = session.identity.deviceId;
    const previous = chains.get(deviceId) ?? Promise.resolve();
    const next = previous.then(() => record(session, status, reason, at));
    chains.set(deviceId, next);
    void next.finally(() => {
      pending--;
      if (chains.get(deviceId) === next) chains.delete(deviceId);
    });
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
        await registry.touch(seen.slice(i, i + 5_000));
      }
    },
    async drain() {
      while (chains.size > 0) await Promise.allSettled([...chains.values()]);
    },
  };
}
