import type { Profile } from './types.js';

/**
 * Ozone machine seed (003_*): each press of a treatment button is an event carrying the billing
 * counter at press time. The counter only grows, across restarts too (see resume).
 */
export interface OzoneState {
  counter: number;
}

const TREATMENTS = ['BASIC', 'STANDARD', 'PREMIUM'] as const;
export type TreatmentName = (typeof TREATMENTS)[number];

/** Mostly BASIC, some STANDARD, few PREMIUM: the mix a car-care outlet sells. */
function pickTreatment(x: number): TreatmentName {
  if (x < 0.55) return 'BASIC';
  if (x < 0.87) return 'STANDARD';
  return 'PREMIUM';
}

export const ozone: Profile<OzoneState> = {
  name: 'ozone',
  firmware: '1.0.0',
  init: (rng) => ({ counter: rng.int(0, 5_000) }),
  step(s, rng) {
    s.counter += 1;
    return {
      channel: 'events',
      body: { event: 'treatment', treatment: pickTreatment(rng.next()), counter: s.counter },
    };
  },
  resume(s, skipped) {
    // Each event adds at most 1, so this is past anything sent before the crash.
    s.counter += skipped;
  },
};

export { TREATMENTS };
