export type DeviceState = 'pending' | 'active' | 'revoked';

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
  hasToken: boolean;
  /** An unused claim code exists. */
  claimable: boolean;
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
