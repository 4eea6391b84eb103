import type { Rng } from '../prng.js';

export type Channel = 'telemetry' | 'events' | 'status';
export type ProfileName = 'dispenser' | 'ozone' | 'energy' | 'machine';
export const PROFILE_NAMES: readonly ProfileName[] = ['dispenser', 'ozone', 'energy', 'machine'];

/** One step's content, before the device stamps it with an event id and a time. */
export interface Reading {
  channel: Channel;
  /** Merged into the payload beside event_id and ts: `{ metrics: {...} }` or `{ event, treatment, counter }`. */
  body: Record<string, unknown>;
}

/**
 * A device domain from the seeds. State is a plain JSON object (it is persisted in the state dir
 * so counters survive restarts); `step` mutates it and draws every random value from `rng`.
 */
export interface Profile<S extends object = Record<string, number>> {
  name: ProfileName;
  firmware: string;
  init(rng: Rng): S;
  /** One message's worth of change; `dtMs` is the nominal time since the previous step. */
  step(state: S, rng: Rng, dtMs: number): Reading;
  /**
   * After an unclean stop up to `skipped` events may have been sent past the saved state:
   * move monotonic counters past anything that could have been sent (a billing counter never goes back).
   */
  resume(state: S, skipped: number): void;
  /** A command from devices/{id}/commands; true when the profile understood it. */
  command?(state: S, command: string): boolean;
}

export const round = (v: number, digits: number): number => {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
};

export const clamp = (v: number, min: number, max: number): number => Math.min(max, Math.max(min, v));
