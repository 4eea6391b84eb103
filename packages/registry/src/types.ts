export type DeviceState = 'pending' | 'active' | 'revoked';

/**
 * How a handshake of the device's MAC gets a token. 'mac': the seed's protocol, the MAC alone
 * (legacy firmware; re-handshakes rate-limited per MAC). 'proof': the MAC alone only while the
 * device holds no token (first claim); afterwards the current token (Bearer) or the claim code.
 */
export type HandshakePolicy = 'mac' | 'proof';

/** Per-device flags of the device edge that an admin sets (migration 0007). */
export interface EdgePolicy {
  handshakePolicy: HandshakePolicy;
  /** May use POST /api/iot/ (identified by its MAC alone). */
  legacyHttp: boolean;
  /** May post readings for other devices of its tenant (a gateway / uploader). */
  canRelay: boolean;
}

/** What an edge caches for a session once a device proved who it is. */
export interface DeviceIdentity {
  deviceId: string;
  /** Null only while pending (no tenant yet); verify* never returns ok for such a device. */
  tenantId: string;
  assetId: string | null;
  state: 'active';
}

/** Why a credential was refused. `unknown_device` and `bad_token` are told apart only in logs and metrics. */
export type RefusalReason = 'unknown_device' | 'bad_token' | 'pending' | 'revoked';

export type VerifyResult = { ok: true; identity: DeviceIdentity } | { ok: false; reason: RefusalReason };

export interface DeviceRecord {
  id: string;
  tenantId: string | null;
  assetId: string | null;
  name: string;
  mac: string | null;
  firmware: string | null;
  deviceType: string;
  state: DeviceState;
  expectedIntervalS: number;
  notes: string;
  attributes: Record<string, unknown>;
  hasToken: boolean;
  /** An unused claim code exists. */
  claimable: boolean;
  handshakePolicy: HandshakePolicy;
  legacyHttp: boolean;
  canRelay: boolean;
  online: boolean;
  lastSeenAt: Date | null;
  lastConnectedAt: Date | null;
  createdAt: Date;
}

export interface HandshakeInput {
  mac: string;
  firmware: string;
  /** Optional extension of the ozone handshake: binds the MAC to a device an admin pre-registered. */
  claimCode?: string;
  /**
   * Optional extension: the device's current token (`Authorization: Bearer` on the handshake), its
   * proof of identity. Required by 'proof' devices once they hold a token; exempts a 'mac' device
   * from the per-MAC re-handshake limit.
   */
  proofToken?: string;
  /** Cap on devices waiting for an admin (DEVICE_MAX_PENDING); default the registry's. */
  maxPending?: number;
  /** The request's source address: it may create at most `maxPendingPerSource` pending devices per window (#20). */
  source?: string;
  maxPendingPerSource?: number;
  pendingWindowMs?: number;
}

export interface HandshakeResult {
  deviceId: string;
  token: string;
  /** active with a tenant: telemetry will be accepted. */
  assigned: boolean;
  state: DeviceState;
  /** True when this MAC was never seen before (a pending device was created). */
  created: boolean;
}

export interface PreRegisterInput {
  tenantId: string;
  assetId?: string | null;
  /** Default: a random `dev-…` id. */
  deviceId?: string;
  /** Known in advance: the device can then handshake by MAC alone, no claim code needed. */
  mac?: string;
  name?: string;
  deviceType?: string;
  expectedIntervalS?: number;
  actorId?: string | null;
  /** Default 'mac' here (internal provisioning, seed firmware); the admin API passes 'proof'. */
  handshakePolicy?: HandshakePolicy;
  legacyHttp?: boolean;
  canRelay?: boolean;
}

/** An open session (MQTT) and the sha256 of the token it authenticated with. */
export interface SessionCredential {
  deviceId: string;
  tokenHash: string;
}

/** Scope of an admin call: a tenant's admin passes their tenant; a platform admin passes none. */
export interface Scope {
  tenantId?: string | null;
  actorId?: string | null;
}

export interface LastSeen {
  deviceId: string;
  at: Date;
}

/** One presence change of a device, written by the gateway holding (or having held) its session. */
export interface PresenceChange {
  deviceId: string;
  gatewayId: string;
  at: Date;
  /** true = connected (recordConnected), false = disconnected (recordDisconnected). */
  online: boolean;
}
