import type { DevicePresenceV1 } from '@telemetry/contracts';
import type { DeviceIdentity } from '@telemetry/registry';

export type PresenceReason = DevicePresenceV1['reason'];

/**
 * What the gateway keeps per MQTT session. Credentials are checked once, at CONNECT; the
 * identity is cached here for the session (a revoked device, or a session whose token was
 * rotated away, is closed by the periodic check).
 */
export interface Session {
  identity: DeviceIdentity;
  /** sha256 of the token the session authenticated with (as devices.token_hash): checked again periodically. */
  tokenHash: string;
  /** The client id the device sent (outside strict mode the aedes session is keyed by the device id). */
  clientId: string;
  connectedAt: number;
  /** Last packet from the device (ms); written to devices.last_seen_at every few seconds. */
  lastSeen: number;
  /** Why it ended, when something other than the socket told us first (takeover, keepalive, will…). */
  endReason?: PresenceReason;
  closed: boolean;
  /** Arrival time given to this session's last publish (ms): kept strictly increasing. */
  lastArrivalMs?: number;
}
