import { parseDuration } from '@telemetry/config';
import { AppError } from '@telemetry/contracts';
import type { SimMessage } from './generator.js';
import { createRng, type Rng } from './prng.js';

/**
 * Fault injection, per device, from a stream seeded apart from the values' stream: turning a fault
 * on changes what is sent, never what is measured.
 */
export interface Faults {
  /** Probability that an event is sent twice (same event_id, same payload). */
  duplicates: number;
  /** Probability that an event is held back and sent after 1..reorderWindow later events. */
  reorder: number;
  reorderWindow: number;
  /** Probability, per event, that the device loses its connection for about offlineMs (store-and-forward). */
  offline: number;
  offlineMs: number;
  /** Each device's clock is off by a fixed amount drawn in [-skewMs, +skewMs]. */
  skewMs: number;
  /** Probability, per event, of a burst of burstSize extra events at once. */
  burst: number;
  burstSize: number;
  /** Probability, per event, of an extra malformed payload (not JSON, or JSON without event_id). */
  malformed: number;
  /** How many devices (the fleet's last ones) connect with a wrong token. */
  badcreds: number;
}

export const NO_FAULTS: Faults = {
  duplicates: 0,
  reorder: 0,
  reorderWindow: 3,
  offline: 0,
  offlineMs: 5_000,
  skewMs: 0,
  burst: 0,
  burstSize: 20,
  malformed: 0,
  badcreds: 0,
};

type Kind = 'probability' | 'count' | 'duration';
const KEYS: Record<string, [keyof Faults, Kind]> = {
  duplicates: ['duplicates', 'probability'],
  duplicate: ['duplicates', 'probability'],
  dup: ['duplicates', 'probability'],
  reorder: ['reorder', 'probability'],
  'reorder-window': ['reorderWindow', 'count'],
  offline: ['offline', 'probability'],
  'offline-for': ['offlineMs', 'duration'],
  skew: ['skewMs', 'duration'],
  burst: ['burst', 'probability'],
  'burst-size': ['burstSize', 'count'],
  malformed: ['malformed', 'probability'],
  badcreds: ['badcreds', 'count'],
};

/** "duplicates=0.2,reorder=0.1,offline=0.05,skew=30s,malformed=0.01,badcreds=1" -> Faults. */
export function parseFaults(text: string | undefined, base: Faults = NO_FAULTS): Faults {
  const faults: Faults = { ...base };
  if (!text?.trim()) return faults;
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [rawKey, value] = part.split('=', 2).map((s) => s.trim());
    const entry = KEYS[rawKey ?? ''];
    if (!entry || value === undefined || value === '') {
      throw new AppError(
        'VALIDATION_FAILED',
        `bad fault "${part}": use key=value with key one of ${Object.keys(KEYS).join(', ')}`,
      );
    }
    const [field, kind] = entry;
    faults[field] = parseValue(rawKey as string, value, kind);
  }
  return faults;
}

function parseValue(key: string, value: string, kind: Kind): number {
  if (kind === 'duration') {
    try {
      return parseDuration(value);
    } catch (err) {
      throw new AppError('VALIDATION_FAILED', `fault ${key}: ${(err as Error).message}`);
    }
  }
  const n = Number(value);
  if (kind === 'probability' && !(Number.isFinite(n) && n >= 0 && n <= 1)) {
    throw new AppError('VALIDATION_FAILED', `fault ${key}=${value}: a probability between 0 and 1`);
  }
  if (kind === 'count' && !(Number.isInteger(n) && n >= 0)) {
    throw new AppError('VALIDATION_FAILED', `fault ${key}=${value}: a whole number >= 0`);
  }
  return n;
}

export function formatFaults(f: Faults): string {
  const on: string[] = [];
  if (f.duplicates) on.push(`duplicates=${f.duplicates}`);
  if (f.reorder) on.push(`reorder=${f.reorder} (window ${f.reorderWindow})`);
  if (f.offline) on.push(`offline=${f.offline} (for ${f.offlineMs} ms)`);
  if (f.skewMs) on.push(`skew=±${f.skewMs} ms`);
  if (f.burst) on.push(`burst=${f.burst} (x${f.burstSize})`);
  if (f.malformed) on.push(`malformed=${f.malformed}`);
  if (f.badcreds) on.push(`badcreds=${f.badcreds} device(s)`);
  return on.length ? on.join(', ') : 'none';
}

/** What a device puts on its send queue. */
export type Outgoing =
  | { kind: 'event'; msg: SimMessage; duplicate: boolean; reordered: boolean }
  | { kind: 'malformed'; msg: SimMessage; reason: MalformedReason };

export type MalformedReason = 'not_json' | 'no_event_id';

export interface FaultInjector {
  /** The outgoing items for one generated event, in send order (held-back events come out later). */
  process(msg: SimMessage): Outgoing[];
  /** Events still held back for reordering, in order (at stop they are kept as pending). */
  flush(): Outgoing[];
  /** Whether this event triggers a burst. */
  burstNow(): boolean;
  /** Whether the device goes offline after this event. */
  offlineNow(): boolean;
}

export function createFaultInjector(faults: Faults, rng: Rng): FaultInjector {
  const held: { item: Outgoing & { kind: 'event' }; left: number }[] = [];

  const withDuplicate = (item: Outgoing & { kind: 'event' }): Outgoing[] =>
    rng.chance(faults.duplicates) ? [item, { ...item, duplicate: true }] : [item];

  return {
    process(msg) {
      const out: Outgoing[] = [];
      if (rng.chance(faults.malformed)) out.push(malformedOf(msg, rng));
      const item = { kind: 'event' as const, msg, duplicate: false, reordered: false };
      // Events released now are those that this one overtakes.
      const released: Outgoing[] = [];
      for (const h of held) h.left -= 1;
      if (rng.chance(faults.reorder)) {
        held.push({ item: { ...item, reordered: true }, left: rng.int(1, Math.max(1, faults.reorderWindow)) });
      } else out.push(...withDuplicate(item));
      for (let i = 0; i < held.length; ) {
        const h = held[i] as (typeof held)[number];
        if (h.left <= 0 && h.item.msg !== msg) {
          held.splice(i, 1);
          released.push(...withDuplicate(h.item));
        } else i += 1;
      }
      return [...out, ...released];
    },
    flush() {
      return held.splice(0).map((h) => h.item);
    },
    burstNow: () => rng.chance(faults.burst),
    offlineNow: () => rng.chance(faults.offline),
  };
}

function malformedOf(msg: SimMessage, rng: Rng): Outgoing {
  return { kind: 'malformed', msg, reason: rng.chance(0.5) ? 'not_json' : 'no_event_id' };
}

/** Spoils an encoded payload (MQTT or HTTP body alike): cut short and corrupted, or without its event_id. */
export function malform(json: string, reason: MalformedReason): string {
  // A frame cut short and corrupted, as after a brown-out mid-write.
  if (reason === 'not_json') return `${json.slice(0, Math.max(1, json.length - 7))}\u0000#`;
  const { event_id: _drop, ...rest } = JSON.parse(json) as Record<string, unknown>;
  return JSON.stringify(rest);
}

/** Pure: the send order of `messages` with duplicates, reordering and malformed extras, for a seed. */
export function injectFaults(messages: SimMessage[], faults: Faults, seed: number): Outgoing[] {
  const injector = createFaultInjector(faults, createRng(seed));
  return [...messages.flatMap((m) => injector.process(m)), ...injector.flush()];
}
