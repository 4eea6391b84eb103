import type { AedesPublishPacket, Client } from 'aedes';

interface ClearMessageId {
  outgoingClearMessageId(client: Client, packet: { cmd?: string; messageId?: number }): Promise<unknown>;
}

/** Unacknowledged downlink messages kept per client; beyond it the oldest is forgotten (a device that never PUBACKs). */
const MAX_PENDING = 1_000;

/**
 * Which downlink message a PUBACK acknowledges. aedes's 'ack' event hands back the packet only
 * when the persistence stored it: a clean session's QoS 1 packets are never stored, and
 * aedes-persistence-redis returns nothing for a live delivery, so with either a command's PUBACK
 * went unrecorded (the command stayed `sent`, then expired). Here the packet id is given by us as
 * the packet passes authorizeForward (aedes keeps an id it finds: qos-packet.js), taken from the
 * client's own counter, and the PUBACK is matched where aedes clears it from the persistence.
 */
export function createAckTracker(onAck: (client: Client, packet: { topic: string; payload: Buffer }) => void) {
  const pending = new WeakMap<Client, Map<number, { topic: string; payload: Buffer }>>();

  return {
    /** In authorizeForward, for a packet already allowed: gives it its packet id and remembers it. */
    track(client: Client, packet: AedesPublishPacket): AedesPublishPacket {
      if (packet.qos === 0) return packet;
      const c = client as Client & { _nextId: number };
      let messageId = packet.messageId;
      if (!messageId) {
        // the same arithmetic as aedes's QoSPacket, so its counter stays consistent
        messageId = c._nextId;
        c._nextId = c._nextId >= 65_535 ? 1 : c._nextId + 1;
      }
      const map = pending.get(client) ?? new Map<number, { topic: string; payload: Buffer }>();
      pending.set(client, map);
      map.delete(messageId);
      map.set(messageId, { topic: packet.topic, payload: toBuffer(packet.payload) });
      if (map.size > MAX_PENDING) map.delete(map.keys().next().value as number);
      return { ...packet, messageId } as AedesPublishPacket;
    },

    /** Wraps the persistence's outgoingClearMessageId, which aedes calls on every PUBACK. */
    attach(broker: unknown): void {
      const persistence = (broker as { persistence: ClearMessageId }).persistence;
      const clear = persistence.outgoingClearMessageId.bind(persistence);
      persistence.outgoingClearMessageId = (client, packet) => {
        const map = pending.get(client);
        // also called to drop packets (refused, or a clean session closing): only a PUBACK counts
        const sent = packet.cmd !== 'puback' || packet.messageId === undefined ? undefined : map?.get(packet.messageId);
        if (sent && packet.messageId !== undefined) {
          map?.delete(packet.messageId);
          onAck(client, sent);
        }
        return clear(client, packet);
      };
    },
  };
}

function toBuffer(payload: AedesPublishPacket['payload']): Buffer {
  return Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
}
