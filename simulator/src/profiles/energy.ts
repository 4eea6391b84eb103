import type { Profile } from './types.js';
import { round } from './types.js';

/**
 * Energy meter seed (004_*): instantaneous power and a cumulative kWh register that never goes
 * back. Power wanders around the device's base load, with appliances switching on now and then.
 */
export interface EnergyState {
  energyKwh: number;
  baseW: number;
  powerW: number;
  /** Extra load while an appliance runs, and for how many readings more. */
  spikeW: number;
  spikeLeft: number;
  /** Largest increment seen, to move the register forward after an unclean stop. */
  maxStepKwh: number;
}

export const energy: Profile<EnergyState> = {
  name: 'energy',
  firmware: 'meter-3.4.2',
  init(rng) {
    const baseW = rng.uniform(150, 1_500);
    return { energyKwh: rng.uniform(100, 5_000), baseW, powerW: baseW, spikeW: 0, spikeLeft: 0, maxStepKwh: 0 };
  },
  step(s, rng, dtMs) {
    if (s.spikeLeft > 0) s.spikeLeft -= 1;
    else if (rng.chance(0.02)) {
      s.spikeW = rng.uniform(500, 2_500);
      s.spikeLeft = rng.int(5, 60);
    } else s.spikeW = 0;
    // Mean-reverting walk around base + appliance load.
    const target = s.baseW + s.spikeW;
    s.powerW = Math.max(0, s.powerW + 0.3 * (target - s.powerW) + rng.normal(0, s.baseW * 0.03));
    const stepKwh = (s.powerW * dtMs) / 3_600_000_000;
    s.energyKwh += stepKwh;
    s.maxStepKwh = Math.max(s.maxStepKwh, stepKwh);
    return {
      channel: 'telemetry',
      body: {
        metrics: {
          energy_kwh: round(s.energyKwh, 6),
          power_w: round(s.powerW, 1),
          voltage_v: round(rng.normal(230, 1.5), 1),
        },
      },
    };
  },
  resume(s, skipped) {
    // Assume every skipped reading added the largest increment seen (x2 for a spike): never backwards.
    s.energyKwh += skipped * s.maxStepKwh * 2;
  },
};
