import { describe, expect, it } from 'vitest';
import type { SimMessage } from '../generator.js';
import { generateEvents } from '../generator.js';

const N = 5_000;
const metric = (events: SimMessage[], name: string) =>
  events
    .filter((e) => e.channel === 'telemetry')
    .map((e) => (e.body.metrics as Record<string, number>)[name] as number);

describe('profiles: value ranges', () => {
  it('dispenser: level in %, drains, crosses ~15 % now and then, and is refilled', () => {
    const levels = metric(generateEvents('dispenser', 11, N, { statusEvery: 0 }), 'level');
    expect(levels.every((l) => l >= 0 && l <= 100)).toBe(true);
    const crossings = levels.filter((l, i) => i > 0 && l < 15 && (levels[i - 1] as number) >= 15).length;
    const refills = levels.filter((l, i) => i > 0 && l - (levels[i - 1] as number) > 50).length;
    expect(crossings).toBeGreaterThan(2);
    expect(refills).toBeGreaterThan(crossings);
    // Not always low: most of the time the level is above the threshold.
    expect(levels.filter((l) => l < 15).length / levels.length).toBeLessThan(0.25);
  });

  it('ozone: treatment events with a counter that grows by one per press', () => {
    const events = generateEvents('ozone', 12, N, { statusEvery: 0 });
    expect(events.every((e) => e.channel === 'events' && e.body.event === 'treatment')).toBe(true);
    const counters = events.map((e) => e.body.counter as number);
    expect(counters.every((c, i) => i === 0 || c === (counters[i - 1] as number) + 1)).toBe(true);
    const mix = new Map<string, number>();
    for (const e of events) mix.set(e.body.treatment as string, (mix.get(e.body.treatment as string) ?? 0) + 1);
    expect([...mix.keys()].sort()).toEqual(['BASIC', 'PREMIUM', 'STANDARD']);
    expect((mix.get('BASIC') ?? 0) > (mix.get('PREMIUM') ?? 0)).toBe(true);
  });

  it('energy: kWh never goes back, power is plausible', () => {
    const events = generateEvents('energy', 13, N, { statusEvery: 0, intervalMs: 60_000 });
    const kwh = metric(events, 'energy_kwh');
    const power = metric(events, 'power_w');
    expect(kwh.every((k, i) => i === 0 || k >= (kwh[i - 1] as number))).toBe(true);
    expect((kwh.at(-1) as number) > (kwh[0] as number)).toBe(true);
    expect(power.every((p) => p >= 0 && p < 10_000)).toBe(true);
    expect(metric(events, 'voltage_v').every((v) => v > 215 && v < 245)).toBe(true);
  });

  it('machine: temperature with excursions above 80, vibration, a battery that drains and is swapped', () => {
    const events = generateEvents('machine', 14, N, { statusEvery: 0 });
    const temps = metric(events, 'temperature');
    expect(temps.every((t) => t >= 15 && t <= 120)).toBe(true);
    const above = temps.filter((t) => t > 80).length;
    expect(above).toBeGreaterThan(0);
    expect(above / temps.length).toBeLessThan(0.2);
    expect(metric(events, 'vibration').every((v) => v > 0 && v <= 25)).toBe(true);
    const battery = metric(events, 'battery');
    expect(battery.every((b) => b >= 0 && b <= 100)).toBe(true);
    // Only ever down, except a swap to a full battery.
    const ups = battery.filter((b, i) => i > 0 && b > (battery[i - 1] as number));
    expect(ups.length).toBeGreaterThan(0);
    expect(ups.every((b) => b === 100)).toBe(true);
    expect(battery.some((b) => b < 20)).toBe(true);
  });
});
