import { dispenser } from './dispenser.js';
import { energy } from './energy.js';
import { machine } from './machine.js';
import { ozone } from './ozone.js';
import type { Profile, ProfileName } from './types.js';

export type { Channel, Profile, ProfileName, Reading } from './types.js';
export { PROFILE_NAMES } from './types.js';

// Profiles are generic over their own state; the device layer treats state as opaque JSON.
const PROFILES: Record<ProfileName, Profile<object>> = {
  dispenser: dispenser as unknown as Profile<object>,
  ozone: ozone as unknown as Profile<object>,
  energy: energy as unknown as Profile<object>,
  machine: machine as unknown as Profile<object>,
};

export function getProfile(name: ProfileName): Profile<object> {
  return PROFILES[name];
}

export function isProfileName(name: string): name is ProfileName {
  return Object.hasOwn(PROFILES, name);
}
