export { createRateLimiter, type RateLimiter, type RateLimiterOptions } from './rate-limit.js';
export { CERTIFICATE_SESSION, createRegistry, type Registry, type RegistryDeps } from './registry.js';
/** sha256 hex of a device token, as stored in devices.token_hash (for tools that provision in bulk). */
export { hashSecret as hashToken, isTokenShaped, normalizeMac } from './secrets.js';
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
