import type { Logger } from '@telemetry/observability';
import type { DeviceDirectory } from '@telemetry/registry';
import type { PublishPacket } from 'aedes';
import type { Bridge } from '../bridge/bridge.js';
import type { Session } from '../session.js';
import { publishChannel } from '../topics.js';

/** A will as aedes-persistence-redis stored it: the packet plus the broker and client it belongs to. */
export type StoredWill = PublishPacket & { brokerId?: string; clientId?: string };

/** At most one instance bridges a given will (Redis SET NX); released again when the bus refused it. */
export interface WillClaims {
  claim(brokerId: string, clientId: string): Promise<boolean>;
  release(brokerId: string, clientId: string): Promise<void>;
}

/**
 * The will of a device whose gateway instance died. The dead instance cannot publish it; aedes has
 * every survivor publish the wills of instances that stopped sending heartbeats (aedes.js
 * _clearWills), each through authorizePublish. Every survivor sees the same wills, so one claims
 * each in Redis and bridges it to the bus; the others let it pass (their aedes then deletes it).
 * Its event id is derived from the dead instance and the client, so even a will bridged twice
 * (claim expired after a survivor crashed mid-publish) is stored once by the pipeline.
 */
export function createForeignWillBridge(deps: {
  directory: DeviceDirectory;
  bridge: Bridge;
  claims: WillClaims;
  logger: Logger;
}): (will: StoredWill & { brokerId: string }, callback: (err?: Error | null) => void) => void {
  const { directory, bridge, claims, logger } = deps;
  return (will, callback) => {
    const clientId = will.clientId ?? '';
    const deviceId = /^devices\/([^/]+)\//.exec(will.topic)?.[1];
    const channel = deviceId ? publishChannel(deviceId, will.topic) : undefined;
    if (!deviceId || !channel) return callback(null); // checked at CONNECT: cannot happen for our wills
    (async () => {
      // Looked up before the claim: an instance on another registry sharing this Redis (a
      // misconfiguration, or tests) must not claim, and so swallow, a will it cannot bridge.
      const device = await directory.get(deviceId);
      if (device?.state !== 'active' || !device.tenantId) {
        logger.info({ deviceId }, 'will of a device no longer active not bridged');
        return callback(null);
      }
      if (!(await claims.claim(will.brokerId, clientId))) return callback(null);
      const session: Session = {
        identity: { deviceId, tenantId: device.tenantId, assetId: device.assetId, state: 'active' },
        tokenHash: '',
        clientId,
        connectedAt: 0,
        lastSeen: 0,
        closed: true,
      };
      const payload = Buffer.isBuffer(will.payload) ? will.payload : Buffer.from(will.payload);
      bridge.forward(
        session,
        // QoS 1 whatever the device asked: aedes deletes the will once this calls back, so only
        // the bus acknowledgement may call back.
        { topic: will.topic, channel, payload, qos: 1, will: true, willId: `${will.brokerId}|${clientId}` },
        (err) => {
          if (!err) {
            logger.info({ deviceId, deadInstance: will.brokerId }, 'will of a device on a dead instance bridged');
            return callback(null);
          }
          // the will stays stored: the next round (any survivor) tries again
          claims.release(will.brokerId, clientId).finally(() => callback(err));
        },
      );
    })().catch((err: unknown) => {
      claims.release(will.brokerId, clientId).finally(() => callback(err as Error));
    });
  };
}
