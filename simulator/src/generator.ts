import { eventIdFor } from './identity.js';
import { createRng, deriveSeed } from './prng.js';
import { type Channel, getProfile, type ProfileName, type Reading } from './profiles/index.js';
import { round } from './profiles/types.js';

/** One generated device event: an id from the device's sequence, device time, and the profile's content. */
export interface SimMessage {
  seq: number;
  eventId: string;
  channel: Channel;
  /** Device time, ISO 8601 UTC, clock skew included. */
  ts: string;
  /** Payload fields besides event_id and ts. */
  body: Record<string, unknown>;
}

export interface GeneratorOptions {
  profile: ProfileName;
  seed: number;
  /** What seeds the device's streams (its MAC): stable across restarts and device id changes. */
  deviceKey: string;
  deviceId: string;
  /** First sequence number. Default 1. */
  firstSeq?: number;
  /** Restored profile state (counters survive restarts); fresh from the seed when absent. */
  state?: object;
  /** Every n-th message is a status heartbeat (rssi, uptime). 0 = never. Default 60. */
  statusEvery?: number;
  /** Device clock offset in ms. */
  skewMs?: number;
  /** Time the device booted (for uptime); default the first message's time. */
  bootMs?: number;
}

export interface Generator {
  next(nowMs: number, dtMs: number): SimMessage;
  /** The sequence number the next message will carry. */
  readonly nextSeq: number;
  readonly state: object;
  /** Apply a command from devices/{id}/commands to the profile state. */
  command(command: string): boolean;
}

export function createGenerator(o: GeneratorOptions): Generator {
  const profile = getProfile(o.profile);
  const firstSeq = o.firstSeq ?? 1;
  // The stream depends on where the sequence resumes, so a restart does not replay the same draws.
  const rng = createRng(deriveSeed(o.seed, o.deviceKey, 'values', firstSeq));
  const state = o.state ?? profile.init(rng);
  const statusEvery = o.statusEvery ?? 60;
  const skewMs = o.skewMs ?? 0;
  let seq = firstSeq;
  let count = 0;
  let bootMs = o.bootMs;

  const status = (nowMs: number): Reading => {
    bootMs ??= nowMs;
    return {
      channel: 'status',
      body: {
        metrics: { rssi: round(rng.normal(-62, 4), 0), uptime_s: Math.max(0, Math.floor((nowMs - bootMs) / 1000)) },
      },
    };
  };

  return {
    next(nowMs, dtMs) {
      bootMs ??= nowMs;
      count += 1;
      const reading = statusEvery > 0 && count % statusEvery === 0 ? status(nowMs) : profile.step(state, rng, dtMs);
      const msg: SimMessage = {
        seq,
        eventId: eventIdFor(o.deviceId, seq),
        channel: reading.channel,
        ts: new Date(Math.round(nowMs + skewMs)).toISOString(),
        body: reading.body,
      };
      seq += 1;
      return msg;
    },
    get nextSeq() {
      return seq;
    },
    state,
    command: (c) => {
      // every profile restarts on `reboot`: its uptime starts again from the next reading
      if (c === 'reboot') {
        bootMs = undefined;
        return true;
      }
      return profile.command?.(state, c) ?? false;
    },
  };
}

/** The MQTT payload (packages/contracts MqttPayload): {"event_id", "ts", ...body}. */
export function mqttPayload(m: SimMessage): Record<string, unknown> {
  return { event_id: m.eventId, ts: m.ts, ...m.body };
}

/**
 * The ozone seed's POST /api/device/events/ body, field order as the seed documents it.
 * A status heartbeat goes as event "status" with its readings flattened.
 */
export function ozoneHttpBody(m: SimMessage, deviceId: string, firmware: string): Record<string, unknown> {
  const base = { device_id: deviceId, firmware, event_id: m.eventId };
  if (m.channel === 'status') {
    const metrics = (m.body.metrics ?? {}) as Record<string, unknown>;
    return { ...base, event: 'status', ...metrics, ts: m.ts };
  }
  return { ...base, ...m.body, ts: m.ts };
}

export interface GenerateOptions {
  deviceId?: string;
  deviceKey?: string;
  startMs?: number;
  intervalMs?: number;
  firstSeq?: number;
  statusEvery?: number;
  skewMs?: number;
}

/**
 * Pure: `count` events of one device of `profile`, at a fixed interval from a fixed start.
 * Same arguments, same events (tests, replays).
 */
export function generateEvents(
  profile: ProfileName,
  seed: number,
  count: number,
  opts: GenerateOptions = {},
): SimMessage[] {
  const intervalMs = opts.intervalMs ?? 1_000;
  const startMs = opts.startMs ?? Date.UTC(2026, 0, 1);
  const gen = createGenerator({
    profile,
    seed,
    deviceKey: opts.deviceKey ?? 'generate',
    deviceId: opts.deviceId ?? 'sim-0',
    firstSeq: opts.firstSeq,
    statusEvery: opts.statusEvery,
    skewMs: opts.skewMs,
    bootMs: startMs,
  });
  const out: SimMessage[] = [];
  for (let i = 0; i < count; i++) out.push(gen.next(startMs + i * intervalMs, intervalMs));
  return out;
}
