import type { Aedes, AedesPublishPacket, Client, Subscription } from 'aedes';
import type { GatewayMetrics } from '../metrics.js';
import { maySubscribe } from '../topics.js';
import type { Sessions } from './sessions.js';

/**
 * authorizeSubscribe: a device subscribes to `devices/{own id}/commands` and `/desired` only. aedes answers a
 * filter refused with a null subscription by SUBACK 0x80 [MQTT-3.9.3] and keeps the connection.
 * `$SYS/#` is open to every client in aedes 1.2; here it is refused like any other foreign topic.
 */
export function createAuthorizeSubscribe(deps: { sessions: Sessions; metrics: GatewayMetrics }) {
  const { sessions, metrics } = deps;
  return function authorizeSubscribe(
    client: Client,
    sub: Subscription,
    callback: (error: Error | null, subscription?: Subscription | null) => void,
  ) {
    const session = sessions.get(client);
    if (!session || !maySubscribe(session.identity.deviceId, sub.topic)) {
      metrics.subscribesRefused.inc({ reason: sub.topic.startsWith('$') ? 'sys' : 'acl' });
      return callback(null, null);
    }
    session.lastSeen = Date.now();
    callback(null, { ...sub, qos: Math.min(sub.qos, 1) as 0 | 1 });
  };
}

/**
 * Belt and braces: a device is sent its own command and desired topics only, whatever was subscribed or queued
 * for it (nothing under `$`, no other device's commands), also from the persisted queue of a
 * clean=false session replayed at CONNECT, which aedes filters through this hook only.
 */
export function createAuthorizeForward(deps: { sessions: Sessions }) {
  const { sessions } = deps;
  return function authorizeForward(client: Client, packet: AedesPublishPacket): AedesPublishPacket | null {
    const session = sessions.get(client);
    return session && maySubscribe(session.identity.deviceId, packet.topic) ? packet : null;
  };
}

interface StoredSubscriptions {
  addSubscriptions(client: Client, subs: Subscription[]): Promise<unknown>;
}

/**
 * aedes 1.2 (lib/handlers/subscribe.js storeSubscriptions) persists EVERY filter of a SUBSCRIBE
 * packet of a clean=false session as soon as one of them is authorized, the refused ones too.
 * Persisted subscriptions decide which session queues a QoS 1 message is put in (and, with Redis,
 * are shared by all instances and outlive them): a device could have another device's commands
 * queued for itself. Only the filters authorizeSubscribe grants are stored.
 */
export function confineStoredSubscriptions(broker: Aedes, sessions: Sessions): void {
  const persistence = (broker as unknown as { persistence: StoredSubscriptions }).persistence;
  const add = persistence.addSubscriptions.bind(persistence);
  persistence.addSubscriptions = (client, subs) => {
    const session = sessions.get(client);
    const allowed = session ? subs.filter((s) => maySubscribe(session.identity.deviceId, s.topic)) : [];
    // (aedes calls it only after granting one filter; an empty list would be an error in Redis.)
    if (allowed.length === 0) return Promise.resolve(client);
    return add(
      client,
      allowed.map((s) => ({ ...s, qos: Math.min(s.qos, 1) as 0 | 1 })),
    );
  };
}
