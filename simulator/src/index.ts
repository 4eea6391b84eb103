export { type Clock, steppedClock, systemClock } from './clock.js';
export {
  createFaultInjector,
  type Faults,
  formatFaults,
  injectFaults,
  NO_FAULTS,
  type Outgoing,
  parseFaults,
} from './faults.js';
export type { FirmwareFaults } from './firmware.js';
export { createFleet, type DeviceInfo, type Fleet, type FleetOptions, resolveProfiles } from './fleet.js';
export {
  createGenerator,
  type GenerateOptions,
  generateEvents,
  mqttPayload,
  ozoneHttpBody,
  type SimMessage,
} from './generator.js';
export { handshake } from './handshake.js';
export type { FleetHooks, PublishRecord } from './hooks.js';
export { deviceMac, eventIdFor } from './identity.js';
export { createRng, deriveSeed, mulberry32, type Rng } from './prng.js';
export { type Channel, getProfile, isProfileName, PROFILE_NAMES, type ProfileName } from './profiles/index.js';
export { type ProvisionOptions, provisionFleet, SIMULATOR_SITE } from './provision.js';
export { createStateStore, type DeviceStateFile, type StateStore } from './state-store.js';
export type { Counters, DevicePhase, FleetStats } from './stats.js';
