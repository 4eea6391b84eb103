import type { AedesPublishPacket, Client, Subscription } from 'aedes';
import type { GatewayMetrics } from '../metrics.js';
import { maySubscribe } from '../topics.js';
import type { Sessions } from './sessions.js';

/**
 * authorizeSubscribe: a device subscribes to `devices/{own id}/commands` only. aedes answers a
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

/** Belt and braces: nothing under `$` is ever forwarded to a device, whatever was subscribed. */
export function authorizeForward(_client: Client, packet: AedesPublishPacket): AedesPublishPacket | null {
  return packet.topic.startsWith('$') ? null : packet;
}
