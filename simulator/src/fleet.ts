import { AppError } from '@telemetry/contracts';
import { type Logger, silentLogger } from '@telemetry/observability';
import { type Clock, systemClock } from './clock.js';
import { createDevice, type Device, type StartOutcome } from './device.js';
import { type Faults, NO_FAULTS, parseFaults } from './faults.js';
import type { FirmwareFaults } from './firmware.js';
import type { FleetHooks } from './hooks.js';
import { deviceMac } from './identity.js';
import { isProfileName, PROFILE_NAMES, type ProfileName } from './profiles/index.js';
import { createStateStore } from './state-store.js';
import { type Counters, type DevicePhase, emptyCounters, type FleetStats } from './stats.js';

export interface FleetOptions extends FleetHooks {
  /** Base URL of the api (handshake, and device events in http mode), e.g. http://localhost:8080. */
  apiUrl: string;
  /** MQTT broker URL, e.g. mqtt://localhost:1884. */
  mqttUrl: string;
  /** Number of devices. */
  devices: number;
  /** One profile for all, or 'mixed' (dispenser, ozone, energy, machine in turn). Default 'mixed'. */
  profile?: ProfileName | 'mixed';
  /** Profiles in turn (device i gets profiles[i % length]); wins over `profile`. */
  profiles?: ProfileName[];
  /** 'http' is the ozone seed's POST /api/device/events/ and needs ozone devices. Default 'mqtt'. */
  transport?: 'mqtt' | 'http';
  /** Messages per second per device. */
  ratePerDevice: number;
  /** Firmware rollouts (#18): drop each download once after N bytes (then resume), or corrupt the image. */
  firmwareFaults?: FirmwareFaults;
  /** A Faults object (missing fields off) or the CLI text "duplicates=0.2,skew=30s,...". */
  faults?: Partial<Faults> | string;
  /** Same seed, same payloads (given the same clock). Default 42. */
  seed?: number;
  /** Where sequences, counters and unacknowledged events survive restarts. */
  stateDir: string;
  /** Each device stops generating after this many events (tests); default: until stop(). */
  eventsPerDevice?: number;
  /** Index of the first device: its MAC is deviceMac(firstDevice, macNamespace). Default 0. */
  firstDevice?: number;
  macNamespace?: number;
  /** Every n-th message is a status heartbeat; 0 = none. Default 60. */
  statusEvery?: number;
  /** Unacknowledged sends per device. Default 32 (mqtt), 4 (http). */
  maxInflight?: number;
  /** Store-and-forward buffer per device. Default 10 000 events. */
  bufferMax?: number;
  /** Handshake retry while pending or after a refusal. Default 10 s. */
  handshakeRetryMs?: number;
  /** Reconnect / resend delay. Default 1 s. */
  reconnectMs?: number;
  /** How long stop() waits for in-flight acknowledgements. Default 10 s. */
  drainTimeoutMs?: number;
  /** Sequence numbers reserved on disk at a time. Default 1000. */
  seqBlock?: number;
  /** Devices coming up at once in start(). Default 32. */
  startConcurrency?: number;
  /**
   * Device time; default the system clock. A function gives each device its own clock (e.g. a
   * steppedClock per device replays timestamps exactly, whatever the interleaving). Scheduling
   * always uses real time.
   */
  clock?: Clock | ((device: { index: number; mac: string }) => Clock);
  logger?: Logger;
}

export interface DeviceInfo {
  index: number;
  mac: string;
  deviceId: string | undefined;
  profile: ProfileName;
  phase: DevicePhase;
  badCredentials: boolean;
}

export interface Fleet {
  /** Handshakes and connects every device (first attempt), then starts generating. Rejects, readably, when the api or the broker is unreachable. */
  start(): Promise<void>;
  /** Stops publishing, waits for in-flight acknowledgements (drainTimeoutMs), persists, disconnects. */
  stop(): Promise<FleetStats>;
  stats(): FleetStats;
  devices(): DeviceInfo[];
  readonly faults: Faults;
}

export function resolveProfiles(
  count: number,
  profile: ProfileName | 'mixed' = 'mixed',
  profiles?: ProfileName[],
): ProfileName[] {
  const cycle = profiles?.length ? profiles : profile === 'mixed' ? PROFILE_NAMES : [profile];
  for (const p of cycle) {
    if (!isProfileName(p))
      throw new AppError('VALIDATION_FAILED', `unknown profile "${p}" (use ${PROFILE_NAMES.join(', ')} or mixed)`);
  }
  return Array.from({ length: count }, (_, i) => cycle[i % cycle.length] as ProfileName);
}

export function createFleet(o: FleetOptions): Fleet {
  if (!Number.isInteger(o.devices) || o.devices < 1)
    throw new AppError('VALIDATION_FAILED', 'devices must be a whole number >= 1');
  if (!(o.ratePerDevice > 0)) throw new AppError('VALIDATION_FAILED', 'ratePerDevice must be > 0');
  const transport = o.transport ?? 'mqtt';
  const faults: Faults = typeof o.faults === 'string' ? parseFaults(o.faults) : { ...NO_FAULTS, ...o.faults };
  const profiles = resolveProfiles(o.devices, o.profile, o.profiles);
  if (transport === 'http' && profiles.some((p) => p !== 'ozone')) {
    throw new AppError(
      'VALIDATION_FAILED',
      'transport http is the ozone seed protocol (POST /api/device/events/): use profile ozone, other profiles speak MQTT',
    );
  }
  const logger = o.logger ?? silentLogger();
  const counters: Counters = emptyCounters();
  const hooks: FleetHooks = { onPublish: o.onPublish, onAck: o.onAck, onCommand: o.onCommand };
  const rate = o.ratePerDevice;
  const badFrom = o.devices - Math.min(faults.badcreds, o.devices);
  const first = o.firstDevice ?? 0;

  let fleet: Device[] = [];
  let interval: NodeJS.Timeout | undefined;
  let startedAt = 0;
  const schedule = new Map<Device, { readyAt: number; scheduled: number; rate: number }>();

  /** Each device owes floor(elapsed * rate) + 1 events since it became ready (the first one at once). */
  function onTick(): void {
    const now = performance.now();
    for (const d of fleet) {
      if (!d.ready || d.done) continue;
      // the platform may change a device's interval (desired interval_s, set_interval): a new schedule from now
      const r = d.rate ?? rate;
      let s = schedule.get(d);
      if (!s || s.rate !== r) {
        s = { readyAt: now, scheduled: s ? 1 : 0, rate: r };
        schedule.set(d, s);
      }
      const owed = Math.floor(((now - s.readyAt) * r) / 1_000) + 1 - s.scheduled;
      if (owed <= 0) continue;
      s.scheduled += owed;
      void d.tick(owed);
    }
  }

  async function startAll(): Promise<{ outcome: StartOutcome; device: Device }[]> {
    const results: { outcome: StartOutcome; device: Device }[] = [];
    let next = 0;
    const worker = async () => {
      while (next < fleet.length) {
        const device = fleet[next++] as Device;
        results.push({ outcome: await device.start(), device });
      }
    };
    await Promise.all(Array.from({ length: Math.min(o.startConcurrency ?? 32, fleet.length) }, worker));
    return results;
  }

  const stats = (): FleetStats => {
    const devices = {
      total: fleet.length,
      idle: 0,
      handshaking: 0,
      pending: 0,
      connecting: 0,
      online: 0,
      offline: 0,
      auth_failed: 0,
      stopped: 0,
    };
    let queued = 0;
    let inflight = 0;
    for (const d of fleet) {
      devices[d.phase] += 1;
      queued += d.queued;
      inflight += d.inflight;
    }
    return { ...counters, devices, queued, inflight, elapsedMs: startedAt ? Date.now() - startedAt : 0 };
  };

  const stopAll = async (): Promise<FleetStats> => {
    clearInterval(interval);
    interval = undefined;
    await Promise.all(fleet.map((d) => d.stop(o.drainTimeoutMs ?? 10_000)));
    return stats();
  };

  return {
    faults,
    async start() {
      if (fleet.length > 0) throw new AppError('CONFLICT', 'fleet already started');
      const stateStore = await createStateStore(o.stateDir);
      startedAt = Date.now();
      fleet = profiles.map((profile, i) => {
        const mac = deviceMac(first + i, o.macNamespace ?? 0);
        const clock = typeof o.clock === 'function' ? o.clock({ index: first + i, mac }) : (o.clock ?? systemClock);
        return createDevice({
          index: first + i,
          mac,
          profile,
          transport,
          apiUrl: o.apiUrl,
          mqttUrl: o.mqttUrl,
          seed: o.seed ?? 42,
          faults,
          firmwareFaults: o.firmwareFaults ?? {},
          badCredentials: i >= badFrom,
          ratePerDevice: rate,
          maxEvents: o.eventsPerDevice,
          statusEvery: o.statusEvery ?? 60,
          maxInflight: o.maxInflight ?? (transport === 'http' ? 4 : 32),
          bufferMax: o.bufferMax ?? 10_000,
          handshakeRetryMs: o.handshakeRetryMs ?? 10_000,
          reconnectMs: o.reconnectMs ?? 1_000,
          seqBlock: o.seqBlock ?? 1_000,
          stateStore,
          clock,
          counters,
          hooks,
          logger,
        });
      });
      // Generation starts with the first device that comes up, not after the slowest.
      interval = setInterval(onTick, Math.min(100, Math.max(10, 1_000 / rate)));
      const results = await startAll();
      const unreachable = (outcome: StartOutcome) => results.length > 0 && results.every((r) => r.outcome === outcome);
      if (unreachable('api_unreachable')) {
        await stopAll();
        throw new AppError(
          'UNAVAILABLE',
          `API not reachable at ${o.apiUrl}: POST /api/handshake/ failed for every device (${causeOf(results)}). Is the stack running? Start it with \`pnpm start\`, or point --api at it.`,
          { retriable: true },
        );
      }
      if (unreachable('mqtt_unreachable')) {
        await stopAll();
        throw new AppError(
          'UNAVAILABLE',
          `MQTT broker not reachable at ${o.mqttUrl} (${causeOf(results)}). Is the stack running? Start it with \`pnpm start\`, or point --mqtt at the broker.`,
          { retriable: true },
        );
      }
      logger.info({ outcomes: countBy(results.map((r) => r.outcome)) }, 'fleet started');
    },
    stop: stopAll,
    stats,
    devices: () =>
      fleet.map((d, i) => ({
        index: d.index,
        mac: d.mac,
        deviceId: d.deviceId,
        profile: profiles[i] as ProfileName,
        phase: d.phase,
        badCredentials: i >= badFrom,
      })),
  };
}

function causeOf(results: { device: Device }[]): string {
  const message = results[0]?.device.lastError ?? 'no answer';
  // The device's message already carries the hint; keep the cause only.
  return message
    .replace(/^API not reachable: /, '')
    .replace(/\. Is the stack running\?.*$/, '')
    .replace(/; is the stack running\?.*$/, '');
}

function countBy(values: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}
