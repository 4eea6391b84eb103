import type pg from 'pg';
import type { LastSeen, PresenceChange } from './types.js';

/**
 * The presence columns of `devices` (migration 0005: online, connected_gateway, last_connected_at,
 * last_disconnected_at, last_seen_at), written by the gateway holding (or having held) the session.
 */
export interface DevicePresence {
  recordConnected(deviceId: string, gatewayId: string, at: Date): Promise<void>;
  /** Only the gateway holding the latest session marks the device offline. */
  recordDisconnected(deviceId: string, gatewayId: string, at: Date): Promise<void>;
  /**
   * Many presence changes in one statement, each as recordConnected (online) or recordDisconnected
   * (offline) would write it. At most one change per device: the next one of a device goes in a later call.
   */
  recordPresence(changes: PresenceChange[]): Promise<void>;
  /** A gateway (re)starting or stopping: its sessions are gone. Returns how many devices went offline. */
  recordGatewayDown(gatewayId: string, at: Date): Promise<number>;
  /** Coalesced last-activity times, one statement for many devices. */
  touch(seen: LastSeen[]): Promise<void>;
}

export function createDevicePresence(deps: { pool: pg.Pool }): DevicePresence {
  const { pool } = deps;
  return {
    async recordConnected(deviceId, gatewayId, at) {
      await pool.query(
        `UPDATE devices SET online = true, connected_gateway = $2, last_connected_at = $3,
           last_seen_at = greatest(last_seen_at, $3) WHERE id = $1`,
        [deviceId, gatewayId, at],
      );
    },

    async recordDisconnected(deviceId, gatewayId, at) {
      // Only the gateway holding the latest session marks it offline: a device that moved to
      // another gateway (or reconnected here since) stays online.
      await pool.query(
        `UPDATE devices SET online = false, last_disconnected_at = $3, last_seen_at = greatest(last_seen_at, $3)
         WHERE id = $1 AND connected_gateway = $2 AND (last_connected_at IS NULL OR last_connected_at <= $3)`,
        [deviceId, gatewayId, at],
      );
    },

    async recordPresence(changes) {
      if (changes.length === 0) return;
      // One row per device: a statement cannot update the same row twice in order.
      const ids = new Set<string>();
      for (const c of changes) {
        if (ids.has(c.deviceId)) throw new Error(`recordPresence: device ${c.deviceId} twice in one batch`);
        ids.add(c.deviceId);
      }
      // online: as recordConnected; offline: as recordDisconnected (only the gateway holding the
      // latest session marks it offline).
      await pool.query(
        `UPDATE devices d SET
           online = v.online,
           connected_gateway = CASE WHEN v.online THEN v.gateway ELSE d.connected_gateway END,
           last_connected_at = CASE WHEN v.online THEN v.at ELSE d.last_connected_at END,
           last_disconnected_at = CASE WHEN v.online THEN d.last_disconnected_at ELSE v.at END,
           last_seen_at = greatest(d.last_seen_at, v.at)
         FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::boolean[]) AS v(id, gateway, at, online)
         WHERE d.id = v.id
           AND (v.online OR (d.connected_gateway = v.gateway
                             AND (d.last_connected_at IS NULL OR d.last_connected_at <= v.at)))`,
        [
          changes.map((c) => c.deviceId),
          changes.map((c) => c.gatewayId),
          changes.map((c) => c.at),
          changes.map((c) => c.online),
        ],
      );
    },

    async recordGatewayDown(gatewayId, at) {
      const { rowCount } = await pool.query(
        'UPDATE devices SET online = false, last_disconnected_at = $2 WHERE connected_gateway = $1 AND online',
        [gatewayId, at],
      );
      return rowCount ?? 0;
    },

    async touch(seen) {
      if (seen.length === 0) return;
      await pool.query(
        `UPDATE devices d SET last_seen_at = greatest(d.last_seen_at, v.at)
         FROM unnest($1::text[], $2::timestamptz[]) AS v(id, at) WHERE d.id = v.id`,
        [seen.map((s) => s.deviceId), seen.map((s) => s.at)],
      );
    },
  };
}
