import type { AppError, HandshakeResponse } from '@telemetry/contracts';
import type { Logger } from '@telemetry/observability';
import type { Clock } from './clock.js';
import { createDesiredConfig } from './desired.js';
import { createDeviceMemory, type DeviceSnapshot } from './device-memory.js';
import { createFaultInjector, type Faults } from './faults.js';
import { type FirmwareFaults, parseFirmwareUpdate, runFirmwareUpdate } from './firmware.js';
import { createGenerator, type Generator, mqttPayload, ozoneHttpBody, type SimMessage } from './generator.js';
import { handshake } from './handshake.js';
import type { FleetHooks } from './hooks.js';
import { httpLink } from './http-link.js';
import { isAuthError, type Link } from './link.js';
import { connectMqtt } from './mqtt-link.js';
import { createOutbox } from './outbox.js';
import { createRng, deriveSeed } from './prng.js';
import { getProfile, type ProfileName } from './profiles/index.js';
import type { StateStore } from './state-store.js';
import type { Counters, DevicePhase } from './stats.js';

export interface DeviceOptions {
  index: number;
  mac: string;
  profile: ProfileName;
  transport: 'mqtt' | 'http';
  apiUrl: string;
  mqttUrl: string;
  seed: number;
  faults: Faults;
  /** How firmware rollouts (#18) misbehave: a dropped download, a corrupted image. */
  firmwareFaults: FirmwareFaults;
  /** Connect with a wrong token (the badcreds fault). */
  badCredentials: boolean;
  ratePerDevice: number;
  /** Stop generating after this many events (undefined: until stop()). */
  maxEvents: number | undefined;
  statusEvery: number;
  maxInflight: number;
  bufferMax: number;
  handshakeRetryMs: number;
  reconnectMs: number;
  seqBlock: number;
  stateStore: StateStore;
  clock: Clock;
  counters: Counters;
  hooks: FleetHooks;
  logger: Logger;
}

/** How the first attempt to come up ended; unless 'online' the device keeps trying in the background. */
export type StartOutcome = 'online' | 'pending' | 'auth_failed' | 'api_unreachable' | 'mqtt_unreachable' | 'error';

export interface Device {
  readonly index: number;
  readonly mac: string;
  readonly phase: DevicePhase;
  readonly deviceId: string | undefined;
  /** Has an identity (assigned by the handshake) and connected once: it generates events from then on. */
  readonly ready: boolean;
  /** Generated its maxEvents. */
  readonly done: boolean;
  readonly queued: number;
  readonly inflight: number;
  /** The last handshake or connect failure, for a readable fleet error. */
  readonly lastError: string | undefined;
  /** Messages per second the platform asked for (desired interval_s, set_interval); undefined: the fleet's. */
  readonly rate: number | undefined;
  start(): Promise<StartOutcome>;
  /** Generate `count` events (plus bursts) and send what the connection allows. */
  tick(count: number): Promise<void>;
  /** Stop publishing, wait up to drainMs for acknowledgements, persist, disconnect. */
  stop(drainMs: number): Promise<void>;
}

/** A virtual ESP32: handshake, connect, generate, inject faults, store-and-forward, persist. */
export function createDevice(o: DeviceOptions): Device {
  const profile = getProfile(o.profile);
  const log = o.logger.child({ mac: o.mac });
  const injector = createFaultInjector(o.faults, createRng(deriveSeed(o.seed, o.mac, 'faults')));
  const skewMs = o.faults.skewMs
    ? createRng(deriveSeed(o.seed, o.mac, 'skew')).uniform(-o.faults.skewMs, o.faults.skewMs)
    : 0;
  const dtMs = 1_000 / o.ratePerDevice;
  // An offline gap lasts as many events as the device generates in offlineMs: deterministic per seed.
  const offlineEvents = Math.max(1, Math.round(o.faults.offlineMs / dtMs));

  let phase: DevicePhase = 'idle';
  let deviceId: string | undefined;
  let token = '';
  let gen: Generator | undefined;
  let stopping = false;
  let generated = 0;
  let offlineLeft = 0;
  let linkEpoch = 0;
  /** The link commands are answered on (MQTT only: over HTTP the device does not poll for commands). */
  let current: Link | undefined;
  /** Command ids seen lately: a resend (lost PUBACK, reconnect) is applied once, as firmware must. */
  const seenCommands = new Set<string>();
  const desired = createDesiredConfig();
  let timer: NodeJS.Timeout | undefined;
  let ticking: Promise<void> = Promise.resolve();
  let lastError: string | undefined;
  let connectedOnce = false;
  /** The version running: the profile's until a rollout installs another. */
  let firmware = profile.firmware;
  let updating = false;

  const memory = createDeviceMemory({
    store: o.stateStore,
    mac: o.mac,
    profile: o.profile,
    seqBlock: o.seqBlock,
    logger: log,
  });
  const snapshot = (): DeviceSnapshot => ({
    deviceId,
    nextSeq: gen?.nextSeq ?? memory.firstSeq,
    state: gen?.state,
    pending: outbox.pending(),
  });

  const outbox = createOutbox({
    transport: o.transport,
    maxInflight: o.maxInflight,
    bufferMax: o.bufferMax,
    retryMs: o.reconnectMs,
    counters: o.counters,
    hooks: o.hooks,
    logger: log,
    deviceId: () => deviceId ?? '',
    encode: (msg: SimMessage) =>
      JSON.stringify(o.transport === 'http' ? ozoneHttpBody(msg, deviceId ?? '', firmware) : mqttPayload(msg)),
    onAuthError: (err) => authFailed(err),
    onDelivered: () => {
      if (phase === 'auth_failed') phase = 'online';
    },
  });

  const schedule = (fn: () => unknown, ms: number) => {
    clearTimeout(timer);
    if (stopping) return;
    timer = setTimeout(() => void fn(), ms);
    timer.unref();
  };
  const remaining = () => (o.maxEvents === undefined ? Number.POSITIVE_INFINITY : o.maxEvents - generated);

  let proof: string | undefined;
  async function bringUp(): Promise<StartOutcome> {
    if (stopping) return 'error';
    // A pending or refused device keeps that phase while it tries again.
    if (phase !== 'pending' && phase !== 'auth_failed') phase = 'handshaking';
    let hs: HandshakeResponse;
    try {
      // like firmware should (services/api/src/device-routes/README.md): prove itself with the last token
      hs = await handshake(o.apiUrl, { mac: o.mac, firmware }, 10_000, proof);
      o.counters.handshakes += 1;
      if (!o.badCredentials) proof = hs.token;
    } catch (err) {
      o.counters.errors += 1;
      phase = 'idle';
      // The first failure is the fleet's to report (start() explains an unreachable api once).
      if (lastError !== undefined) log.warn({ err: (err as Error).message }, 'handshake failed; retrying');
      lastError = (err as Error).message;
      schedule(bringUp, o.handshakeRetryMs);
      return (err as AppError).code === 'UNAVAILABLE' ? 'api_unreachable' : 'error';
    }
    if (stopping) return 'error';
    if (!hs.assigned) {
      // An honest device: it waits for an admin to assign it, asking again now and then.
      o.counters.handshakesPending += 1;
      phase = 'pending';
      schedule(bringUp, o.handshakeRetryMs);
      return 'pending';
    }
    token = o.badCredentials ? `${hs.token}-wrong` : hs.token;
    if (!gen || deviceId !== hs.device_id) adopt(hs.device_id);
    return connect();
  }

  function adopt(id: string): void {
    deviceId = id;
    gen = createGenerator({
      profile: o.profile,
      seed: o.seed,
      deviceKey: o.mac,
      deviceId: id,
      firstSeq: gen?.nextSeq ?? memory.firstSeq,
      state: gen?.state ?? memory.restored.state,
      statusEvery: o.statusEvery,
      skewMs,
    });
    // Pending events of the last run are replayed only under the identity they were made with.
    const { pending, deviceId: was } = memory.restored;
    if (was === id) outbox.restore(pending);
    else if (pending.length > 0) {
      log.warn(
        { was, now: id, events: pending.length },
        'device id changed: pending events of the old identity dropped',
      );
    }
    memory.restored.pending = [];
  }

  async function connect(): Promise<StartOutcome> {
    if (stopping || !deviceId) return 'error';
    if (phase !== 'auth_failed') phase = 'connecting';
    const epoch = ++linkEpoch;
    const mine = () => epoch === linkEpoch && !stopping;
    let link: Link;
    try {
      link =
        o.transport === 'http'
          ? httpLink({ apiUrl: o.apiUrl, token })
          : await connectMqtt({
              url: o.mqttUrl,
              deviceId,
              token,
              reconnectMs: o.reconnectMs,
              onCommand: (payload) => mine() && onCommand(payload),
              onDesired: (payload) => mine() && onDesired(payload),
              onAuthRefused: (err) => mine() && authFailed(err),
              onConnectionChange: (up) => {
                // mqtt.js lost a working connection and reconnects by itself (resending what is in flight).
                if (!mine()) return;
                phase = up ? 'online' : 'connecting';
                if (up) outbox.pump();
              },
            });
    } catch (err) {
      if (isAuthError(err)) {
        authFailed(err as Error);
        return 'auth_failed';
      }
      o.counters.errors += 1;
      phase = 'connecting';
      if (lastError !== undefined) log.warn({ err: (err as Error).message }, 'connect failed; retrying');
      lastError = (err as Error).message;
      schedule(connect, o.reconnectMs);
      return 'mqtt_unreachable';
    }
    if (!mine()) {
      await link.close(true);
      return 'error';
    }
    o.counters.connects += 1;
    connectedOnce = true;
    lastError = undefined;
    // Over HTTP nothing has checked the token yet: a refused device stays refused until a POST is accepted.
    if (!(o.transport === 'http' && phase === 'auth_failed')) phase = 'online';
    outbox.attach(link);
    current = link;
    return 'online';
  }

  function dropLink(): void {
    current = undefined;
    linkEpoch += 1;
    void outbox.detach()?.close(true);
  }

  function authFailed(err: Error): void {
    o.counters.authFailures += 1;
    log.warn({ err: err.message }, 'credentials refused; handshaking again later');
    dropLink();
    phase = 'auth_failed';
    schedule(bringUp, o.handshakeRetryMs);
  }

  function onCommand(payload: string): void {
    o.counters.commandsReceived += 1;
    let command = payload.trim();
    let id: string | undefined;
    let expectReply = false;
    let params: unknown;
    try {
      // the API's shape {id, name, params, expectReply}; older callers sent {command} or a bare word
      const parsed = JSON.parse(payload) as {
        id?: unknown;
        name?: unknown;
        command?: unknown;
        expectReply?: unknown;
        params?: unknown;
      };
      params = parsed?.params;
      if (typeof parsed?.name === 'string') command = parsed.name;
      else if (typeof parsed?.command === 'string') command = parsed.command;
      if (typeof parsed?.id === 'string') id = parsed.id;
      expectReply = parsed?.expectReply === true;
    } catch {
      // a bare word is a command too
    }
    if (id !== undefined) {
      if (seenCommands.has(id)) {
        log.info({ command, id }, 'command resent: already applied');
        return;
      }
      seenCommands.add(id);
      if (seenCommands.size > 256) seenCommands.delete(seenCommands.values().next().value as string);
    }
    if (command === 'firmware_update') {
      if (deviceId) o.hooks.onCommand?.({ deviceId, payload });
      updateFirmware(params);
      return;
    }
    // set_interval {seconds}: the publishing interval, as desired interval_s sets it
    const args = typeof params === 'object' && params !== null ? (params as Record<string, unknown>) : {};
    const understood =
      command === 'set_interval'
        ? desired.setInterval(args.seconds ?? args.interval_s)
        : (gen?.command(command) ?? false);
    log.info({ command, understood }, 'command received');
    if (deviceId) o.hooks.onCommand?.({ deviceId, payload });
    if (id !== undefined && expectReply && current?.reply) {
      const reply = understood
        ? {
            id,
            status: 'ok',
            result: { applied: command, ...(command === 'set_interval' ? { intervalS: desired.intervalS } : {}) },
          }
        : { id, status: 'error', error: `unknown command ${command}` };
      current.reply(JSON.stringify(reply)).catch((err: Error) => log.warn({ err: err.message }, 'reply not sent'));
    }
  }

  /** A rollout (#18): one at a time, in the background; the device keeps reporting meanwhile. */
  function updateFirmware(params: unknown): void {
    const update = parseFirmwareUpdate(params);
    if (!update || updating) {
      log.warn({ valid: update !== undefined, updating }, 'firmware_update ignored');
      return;
    }
    updating = true;
    log.info({ version: update.version, size: update.size }, 'firmware update started');
    void runFirmwareUpdate({
      apiUrl: o.apiUrl,
      token,
      update,
      faults: o.firmwareFaults,
      report: (r) => current?.report?.(JSON.stringify(r)) ?? Promise.reject(new Error('not connected')),
      logger: log,
    })
      .then((result) => {
        if (result.ok) firmware = result.version;
        log.info({ ...result }, 'firmware update finished');
      })
      .finally(() => {
        updating = false;
      });
  }

  function onDesired(payload: string): void {
    const report = desired.apply(payload);
    if (report === undefined) return;
    log.info({ intervalS: desired.intervalS }, 'desired configuration applied');
    current?.reportConfig?.(report).catch((err: Error) => log.warn({ err: err.message }, 'report not sent'));
  }

  function emitOne(): void {
    if (!gen) return;
    const msg = gen.next(o.clock.now(), dtMs);
    generated += 1;
    o.counters.generated += 1;
    outbox.enqueue(injector.process(msg), phase !== 'online');
    if (phase === 'offline') {
      offlineLeft -= 1;
      if (offlineLeft <= 0) void connect();
    } else if (phase === 'online' && injector.offlineNow()) {
      o.counters.offlineEpisodes += 1;
      dropLink();
      phase = 'offline';
      offlineLeft = offlineEvents;
    }
  }

  async function tick(count: number): Promise<void> {
    if (stopping || !gen) return;
    const n = Math.min(count, remaining());
    if (n <= 0) return;
    await memory.reserve(n * (1 + (o.faults.burst > 0 ? o.faults.burstSize : 0)), snapshot);
    // remaining() again: a burst may have used up the rest.
    for (let i = 0; i < n && remaining() > 0 && !stopping; i++) {
      emitOne();
      if (injector.burstNow()) {
        o.counters.bursts += 1;
        for (let b = 0; b < o.faults.burstSize && remaining() > 0; b++) emitOne();
      }
    }
    if (remaining() <= 0) {
      // Done generating: nothing will overtake the held-back events any more.
      outbox.enqueue(injector.flush(), phase !== 'online');
      // And no more events will count an offline gap down, so come back now.
      if (phase === 'offline') void connect();
    }
  }

  return {
    index: o.index,
    mac: o.mac,
    get phase() {
      return phase;
    },
    get deviceId() {
      return deviceId;
    },
    get ready() {
      // Generation (and the rate schedule) starts at the first connection.
      return gen !== undefined && connectedOnce;
    },
    get done() {
      return remaining() <= 0;
    },
    get queued() {
      return outbox.queued;
    },
    get inflight() {
      return outbox.inflight;
    },
    get lastError() {
      return lastError;
    },
    get rate() {
      return desired.intervalS === undefined ? undefined : 1 / desired.intervalS;
    },

    async start() {
      await memory.load();
      return bringUp();
    },

    tick(count) {
      // One tick at a time: a tick may wait for its sequence block to be on disk.
      ticking = ticking.then(() => tick(count)).catch((err) => log.error({ err }, 'tick failed'));
      return ticking;
    },

    async stop(drainMs) {
      if (stopping) return;
      stopping = true;
      clearTimeout(timer);
      await ticking;
      // Stop publishing; held-back (reordered) events join the pending ones.
      outbox.close();
      outbox.enqueue(injector.flush(), true);
      const unacked = await outbox.drain(drainMs);
      await memory.saveClean(snapshot());
      linkEpoch += 1;
      const link = outbox.detach();
      await link?.close(unacked > 0);
      phase = 'stopped';
      if (unacked > 0) log.warn({ unacked }, 'stopped with unacknowledged events; they are replayed at the next start');
    },
  };
}
