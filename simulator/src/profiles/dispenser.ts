import type { Profile } from './types.js';
import { clamp, round } from './types.js';

/**
 * Dispenser seed (000_*): a level sensor in %, drained by use and refilled by staff. Each cycle draws
 * its own refill point between 4 % and 26 %, so some cycles cross the ~15 % low-level threshold and
 * some are refilled before it, and a low level is followed by a refill a few readings later.
 */
export interface DispenserState {
  level: number;
  refillAt: number;
  /** Readings left until staff refill; -1 while draining. */
  refillIn: number;
}

export const dispenser: Profile<DispenserState> = {
  name: 'dispenser',
  firmware: 'dispenser-2.1.0',
  init: (rng) => ({ level: rng.uniform(40, 100), refillAt: rng.uniform(4, 26), refillIn: -1 }),
  step(s, rng) {
    if (s.refillIn === 0) {
      s.level = rng.uniform(90, 100);
      s.refillAt = rng.uniform(4, 26);
      s.refillIn = -1;
    } else if (s.refillIn > 0) {
      s.refillIn -= 1;
      s.level = clamp(s.level - rng.uniform(0, 0.3), 0, 100);
    } else {
      // Most readings see little use; now and then a busy moment drains more.
      const use = rng.chance(0.1) ? rng.uniform(1, 3) : rng.uniform(0, 0.6);
      s.level = clamp(s.level - use, 0, 100);
      if (s.level <= s.refillAt) s.refillIn = rng.int(2, 12);
    }
    return { channel: 'telemetry', body: { metrics: { level: round(s.level, 1) } } };
  },
  resume() {
    // A level is not monotonic: nothing to move forward.
  },
  command(s, command) {
    if (command !== 'refill') return false;
    s.refillIn = 0;
    return true;
  },
};
