import type { Profile } from './types.js';
import { clamp, round } from './types.js';

/**
 * Car plant seed (002_*): a machine's temperature, vibration and battery. Temperature holds near
 * its operating point with occasional excursions above ~80 °C (threshold alerts, maintenance
 * tasks); the battery drains slowly and is swapped when low (low-battery alerts).
 */
export interface MachineState {
  baseC: number;
  temperature: number;
  /** Readings left in the current overheating episode, and its peak. */
  excursionLeft: number;
  excursionC: number;
  battery: number;
  swapAt: number;
}

export const machine: Profile<MachineState> = {
  name: 'machine',
  firmware: 'plc-bridge-1.7.0',
  init(rng) {
    const baseC = rng.uniform(55, 70);
    return {
      baseC,
      temperature: baseC,
      excursionLeft: 0,
      excursionC: 0,
      battery: rng.uniform(30, 100),
      swapAt: rng.uniform(5, 15),
    };
  },
  step(s, rng) {
    if (s.excursionLeft > 0) s.excursionLeft -= 1;
    else if (rng.chance(0.005)) {
      s.excursionLeft = rng.int(10, 40);
      s.excursionC = rng.uniform(83, 96);
    }
    const target = s.excursionLeft > 0 ? s.excursionC : s.baseC;
    s.temperature = clamp(s.temperature + 0.25 * (target - s.temperature) + rng.normal(0, 0.4), 15, 120);
    const hot = s.excursionLeft > 0 ? 2 : 1;
    const vibration = clamp(Math.exp(rng.normal(Math.log(1.8 * hot), 0.25)), 0.05, 25);
    s.battery = clamp(s.battery - rng.uniform(0.002, 0.03), 0, 100);
    if (s.battery <= s.swapAt) {
      s.battery = 100;
      s.swapAt = rng.uniform(5, 15);
    }
    return {
      channel: 'telemetry',
      body: {
        metrics: {
          temperature: round(s.temperature, 2),
          vibration: round(vibration, 3),
          battery: round(s.battery, 2),
        },
      },
    };
  },
  resume() {
    // Temperature, vibration and battery are not counters.
  },
};
