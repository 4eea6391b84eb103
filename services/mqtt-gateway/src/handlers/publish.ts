import { DeviceTopics } from '@telemetry/contracts';
import type { Logger } from '@telemetry/observability';
import type { Aedes, Client, PublishPacket } from 'aedes';
import type { Bridge } from '../bridge/bridge.js';
import { createLogThrottle } from '../log-throttle.js';
import type { GatewayMetrics } from '../metrics.js';
import type { Session } from '../session.js';
import { publishChannel } from '../topics.js';
import type { StoredWill } from './foreign-will.js';
import type { Sessions } from './sessions.js';

/**
 * authorizePublish. aedes 1.2 (lib/handlers/publish.js) runs authorizePublish, THEN writes the
 * PUBACK, then broker.publish: so the bus acknowledgement happens here, before the callback, or
 * a PUBACK could go out for a message that never reached Kafka.
 *
 * A publish outside `devices/{own id}/telemetry|events|status` is answered as mosquitto answers a
 * denied publish in 3.1.1 (which has no negative PUBACK): acknowledged as usual (PUBACK/PUBREC), not
 * delivered or stored, and the connection kept; closing it would only make the firmware reconnect
 * and send the same message again, forever (see #14). It is not silent: it is dead-lettered with
 * reason `acl_denied` (PUBACK after the dead letter is on the bus, like any dead letter), counted and
 * logged. aedes would still route the packet after the callback (to another device's command queue,
 * say), so the packet is marked and `dropDenied` makes broker.publish skip it.
 */
export function createAuthorizePublish(deps: {
  sessions: Sessions;
  bridge: Bridge;
  metrics: GatewayMetrics;
  logger: Logger;
  /** Clustered: this instance's aedes id, and the bridge of wills left by dead instances. */
  brokerId?: string;
  foreignWill?: (will: StoredWill & { brokerId: string }, callback: (error?: Error | null) => void) => void;
  /** A device's answer on devices/{id}/commands/reply: recorded in the store, not sent to the bus. */
  onCommandReply?: (session: Session, payload: Buffer) => Promise<void>;
  /** What a device applied, on devices/{id}/reported: recorded in the store, not sent to the bus. */
  onReported?: (session: Session, payload: Buffer) => Promise<void>;
  /** A device's firmware rollout report on devices/{id}/firmware (#18): recorded in the store, not sent to the bus. */
  onFirmwareReport?: (session: Session, payload: Buffer) => Promise<void>;
}) {
  const { sessions, bridge, metrics, logger, brokerId, foreignWill } = deps;
  const denied = new WeakSet<PublishPacket>();
  const warned = createLogThrottle(10_000);

  function authorizePublish(client: Client | null, packet: PublishPacket, callback: (error?: Error | null) => void) {
    // A will persisted by another, dead, broker instance (aedes _clearWills), replayed with the
    // device's client on this instance if it reconnected here, else with none.
    const stored = packet as StoredWill;
    if (foreignWill && stored.brokerId !== undefined && stored.brokerId !== brokerId) {
      return foreignWill(stored as StoredWill & { brokerId: string }, callback);
    }
    if (client === null) return callback(null);
    const session = sessions.get(client);
    if (!session) {
      metrics.publishesRefused.inc({ reason: 'not_authenticated' });
      return callback(new Error('not authenticated'));
    }
    // Retained messages would be kept by aedes in memory, per topic, forever; the bus is the record.
    packet.retain = false;
    // authorizePublish of a client that is closing is aedes publishing its Last Will.
    const will = client.closed;
    if (will) session.endReason ??= 'will';
    else session.lastSeen = Date.now();
    const answer = will ? undefined : answerHandler(session, packet.topic);
    if (answer) {
      denied.add(packet); // recorded, never routed to other clients
      answer(session, toBuffer(packet.payload)).then(
        () => callback(null),
        (err: unknown) => {
          logger.warn(
            { err, deviceId: session.identity.deviceId, topic: packet.topic },
            'recording a device answer failed',
          );
          callback(err instanceof Error ? err : new Error(String(err))); // no PUBACK: the device resends it
        },
      );
      return;
    }
    const channel = publishChannel(session.identity.deviceId, packet.topic);
    if (!channel) {
      denied.add(packet);
      metrics.publishesRefused.inc({ reason: 'acl' });
      const deviceId = session.identity.deviceId;
      if (warned(deviceId)) {
        logger.warn(
          { deviceId, topic: packet.topic },
          'publish outside the device topics: acknowledged, dead-lettered acl_denied',
        );
      }
    }
    bridge.forward(
      session,
      {
        topic: packet.topic,
        channel,
        payload: toBuffer(packet.payload),
        qos: packet.qos,
        will,
        dup: packet.dup,
        messageId: packet.messageId,
      },
      callback,
    );
  }

  /** The store-side handler of a device's answer topic (command reply, configuration report), if it is one. */
  function answerHandler(session: Session, topic: string) {
    const id = session.identity.deviceId;
    if (topic === DeviceTopics.commandReplies(id)) return deps.onCommandReply;
    if (topic === DeviceTopics.reported(id)) return deps.onReported;
    if (topic === DeviceTopics.firmware(id)) return deps.onFirmwareReport;
    return undefined;
  }

  /** Wraps broker.publish so a denied packet, acknowledged by aedes after the callback, goes nowhere. */
  function dropDenied(broker: Aedes): void {
    const publish = broker.publish.bind(broker) as (packet: PublishPacket, client: unknown, done?: unknown) => void;
    (broker as unknown as { publish: typeof publish }).publish = (packet, client, done) => {
      if (denied.has(packet)) {
        denied.delete(packet);
        const cb = typeof client === 'function' ? client : done;
        return void (typeof cb === 'function' ? (cb as (err?: Error) => void)() : undefined);
      }
      publish(packet, client, done);
    };
  }

  return { authorizePublish, dropDenied };
}

function toBuffer(payload: PublishPacket['payload']): Buffer {
  return Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
}
