import type { Logger } from '@telemetry/observability';
import type { Client, PublishPacket } from 'aedes';
import type { Bridge } from '../bridge/bridge.js';
import type { GatewayMetrics } from '../metrics.js';
import { publishChannel } from '../topics.js';
import type { Sessions } from './sessions.js';

/**
 * authorizePublish. aedes 1.2 (lib/handlers/publish.js) runs authorizePublish, THEN writes the
 * PUBACK, then broker.publish: so the bus acknowledgement happens here, before the callback, or
 * a PUBACK could go out for a message that never reached Kafka.
 *
 * A refused publish (topic outside `devices/{own id}/telemetry|events|status`) calls back with an
 * error: MQTT 3.1.1 has no negative PUBACK, and aedes closes the connection.
 */
export function createAuthorizePublish(deps: {
  sessions: Sessions;
  bridge: Bridge;
  metrics: GatewayMetrics;
  logger: Logger;
}) {
  const { sessions, bridge, metrics, logger } = deps;

  return function authorizePublish(
    client: Client | null,
    packet: PublishPacket,
    callback: (error?: Error | null) => void,
  ) {
    // A will persisted by another broker instance, replayed without a client: nothing of ours.
    if (client === null) return callback(null);
    const session = sessions.get(client);
    if (!session) {
      metrics.publishesRefused.inc({ reason: 'not_authenticated' });
      return callback(new Error('not authenticated'));
    }
    const channel = publishChannel(session.identity.deviceId, packet.topic);
    if (!channel) {
      metrics.publishesRefused.inc({ reason: 'acl' });
      logger.info(
        { deviceId: session.identity.deviceId, topic: packet.topic },
        'publish outside the device topics refused',
      );
      return callback(new Error(`not authorized to publish on ${packet.topic}`));
    }
    // Retained messages would be kept by aedes in memory, per topic, forever; the bus is the record.
    packet.retain = false;
    // authorizePublish of a client that is closing is aedes publishing its Last Will.
    const will = client.closed;
    if (will) session.endReason ??= 'will';
    else session.lastSeen = Date.now();
    bridge.forward(
      session,
      { topic: packet.topic, channel, payload: toBuffer(packet.payload), qos: packet.qos, will },
      callback,
    );
  };
}

function toBuffer(payload: PublishPacket['payload']): Buffer {
  return Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
}
