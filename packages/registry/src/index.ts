export { CERTIFICATE_SESSION, type DeviceCredentials } from './credentials.js';
export {
  bindAsset,
  type DeviceEdit,
  deleteDevice,
  editDevice,
  seedDevice,
  setFirmware,
} from './device-store.js';
export type { DeviceDirectory } from './directory.js';
export type { DeviceLifecycle } from './lifecycle.js';
export type { DevicePresence } from './presence.js';
export { createDeviceRegistry, type DeviceRegistry, type DeviceRegistryOptions } from './registry.js';
export type { DeviceRow } from './rows.js';
/** sha256 hex of a device token, as stored in devices.token_hash (for tools that provision in bulk). */
export { hashSecret as hashToken, isTokenShaped, normalizeMac } from './secrets.js';
export type { TenantLookups } from './tenants.js';
export type {
  DeviceIdentity,
  DeviceRecord,
  DeviceState,
  EdgePolicy,
  HandshakeInput,
  HandshakePolicy,
  HandshakeResult,
  LastSeen,
  PreRegisterInput,
  PresenceChange,
  RefusalReason,
  Scope,
  SessionCredential,
  VerifyResult,
} from './types.js';
