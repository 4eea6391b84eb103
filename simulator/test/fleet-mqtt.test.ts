import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { uniqueName, waitFor } from '@telemetry/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createFleet, type Fleet, type FleetOptions, type PublishRecord, steppedClock } from '../src/index.js';
import { type DeviceApi, startDeviceApi } from './device-api.js';
import { type Received, subscribe } from './subscriber.js';

// The machine's mosquitto (anonymous allowed): a real MQTT 3.1.1 broker. Device ids are unique per
// test (the handshake peer hands them out with a unique prefix), so topics never collide.
const MOSQUITTO = process.env.TEST_MQTT_URL ?? 'mqtt://127.0.0.1:1883';

let stateDir: string;
let api: DeviceApi;
let prefix: string;
let observer: Awaited<ReturnType<typeof subscribe>>;
const fleets: Fleet[] = [];

beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'sim-fleet-'));
});
afterAll(async () => {
  await rm(stateDir, { recursive: true, force: true });
});
afterEach(async () => {
  await Promise.all(fleets.splice(0).map((f) => f.stop()));
  await observer?.close();
  await api?.close();
});

async function setup(): Promise<void> {
  prefix = uniqueName('sim').replace(/_/g, '-');
  api = await startDeviceApi({ prefix });
  observer = await subscribe(MOSQUITTO, prefix);
}

function fleetOf(o: Partial<FleetOptions>): Fleet {
  const fleet = createFleet({
    apiUrl: api.url,
    mqttUrl: MOSQUITTO,
    devices: 2,
    ratePerDevice: 100,
    stateDir: join(stateDir, prefix),
    statusEvery: 0,
    drainTimeoutMs: 5_000,
    ...o,
  });
  fleets.push(fleet);
  return fleet;
}

/**
 * Waits until everything generated was acknowledged and the observer saw every event id.
 * (A publish given up on when a link drops is resent: `sent` counts both, `acked` the one acknowledged.)
 */
async function settle(fleet: Fleet, generated: number): Promise<void> {
  await waitFor(
    () => {
      const s = fleet.stats();
      return s.generated === generated && s.queued === 0 && s.inflight === 0;
    },
    { timeoutMs: 15_000, message: 'fleet settled' },
  ).catch((err) => {
    throw new Error(`${(err as Error).message}: ${JSON.stringify(fleet.stats())}`);
  });
  await waitFor(() => new Set(ids(observer.received)).size >= generated, {
    timeoutMs: 10_000,
    message: 'observer got every event id',
  });
}

const ids = (received: Received[]) => received.filter((r) => r.json?.event_id).map((r) => r.json?.event_id as string);
const seqOf = (eventId: string) => Number(eventId.slice(-10));

describe('fleet over MQTT (mosquitto)', () => {
  it('publishes QoS1 per profile, sends duplicates as configured, and continues the sequence after a restart', async () => {
    await setup();
    const records: PublishRecord[] = [];
    const fleet = fleetOf({
      devices: 4,
      profile: 'mixed',
      eventsPerDevice: 20,
      faults: 'duplicates=0.3',
      seed: 7,
      onPublish: (r) => records.push(r),
    });
    await fleet.start();
    await settle(fleet, 80);
    const s = await fleet.stop();
    expect(s.acked).toBe(s.sent);
    await waitFor(() => observer.received.length === s.sent);

    expect(s.devices.total).toBe(4);
    expect(s.duplicatesSent).toBeGreaterThan(0);
    expect(s.sent).toBe(80 + s.duplicatesSent);
    expect(records).toHaveLength(s.sent);
    const got = ids(observer.received);
    expect(got).toHaveLength(80 + s.duplicatesSent);
    expect(new Set(got).size).toBe(80);
    // Each device numbered 1..20, the profile's channel and payload.
    for (const d of fleet.devices()) {
      const mine = observer.received.filter((r) => r.deviceId === d.deviceId);
      expect([...new Set(mine.map((r) => seqOf(r.json?.event_id as string)))].sort((a, b) => a - b)).toEqual(
        Array.from({ length: 20 }, (_, i) => i + 1),
      );
      const first = mine[0]?.json ?? {};
      expect(typeof first.ts).toBe('string');
      if (d.profile === 'ozone') {
        expect(mine.every((r) => r.channel === 'events')).toBe(true);
        expect(first).toMatchObject({
          event: 'treatment',
          treatment: expect.stringMatching(/^(BASIC|STANDARD|PREMIUM)$/),
          counter: expect.any(Number),
        });
      } else {
        expect(mine.every((r) => r.channel === 'telemetry')).toBe(true);
        const wanted = {
          dispenser: ['level'],
          energy: ['energy_kwh', 'power_w', 'voltage_v'],
          machine: ['battery', 'temperature', 'vibration'],
        }[d.profile];
        expect(Object.keys(first.metrics as object).sort()).toEqual(wanted);
      }
    }
    const ozone = fleet.devices().find((d) => d.profile === 'ozone');
    const lastCounter = Math.max(
      ...observer.received.filter((r) => r.deviceId === ozone?.deviceId).map((r) => r.json?.counter as number),
    );

    // Restart on the same state dir: same MACs, same device ids, the sequence and the counter go on.
    observer.received.length = 0;
    const again = fleetOf({ devices: 4, profile: 'mixed', eventsPerDevice: 5, seed: 7 });
    await again.start();
    await settle(again, 20);
    for (const d of again.devices()) {
      const seqs = observer.received
        .filter((r) => r.deviceId === d.deviceId)
        .map((r) => seqOf(r.json?.event_id as string));
      expect(seqs.sort((a, b) => a - b)).toEqual([21, 22, 23, 24, 25]);
    }
    const counters = observer.received
      .filter((r) => r.deviceId === ozone?.deviceId)
      .map((r) => r.json?.counter as number);
    expect(Math.min(...counters)).toBe(lastCounter + 1);
  });

  it('after a crash resumes past the reserved block, with counters moved past anything sent', async () => {
    await setup();
    const fleet = fleetOf({ devices: 1, profile: 'ozone', eventsPerDevice: 1 });
    // What a crash leaves: a reservation up to 1001 made at seq 11, counter 500 at that time.
    const dir = join(stateDir, prefix);
    await fleet.start();
    await settle(fleet, 1);
    await fleet.stop();
    const file = join(dir, '02-53-00-00-00-00.json');
    const saved = JSON.parse(await readFile(file, 'utf8'));
    await writeFile(
      file,
      JSON.stringify({ ...saved, clean: false, next: 1001, savedAtSeq: 11, state: { counter: 500 }, pending: [] }),
    );
    observer.received.length = 0;

    const again = fleetOf({ devices: 1, profile: 'ozone', eventsPerDevice: 3 });
    await again.start();
    await settle(again, 3);
    const got = observer.received.map((r) => r.json ?? {});
    expect(got.map((j) => seqOf(j.event_id as string))).toEqual([1001, 1002, 1003]);
    // 990 events may have been sent past the saved counter: the counter resumes beyond them.
    expect(got.map((j) => j.counter)).toEqual([1491, 1492, 1493]);
  });

  it('buffers while offline and replays with the original device time; reorders and sends malformed payloads', async () => {
    await setup();
    const records: PublishRecord[] = [];
    const fleet = fleetOf({
      devices: 2,
      profile: 'machine',
      eventsPerDevice: 40,
      ratePerDevice: 200,
      faults: 'offline=0.1,offline-for=25ms,reorder=0.2,malformed=0.1',
      seed: 3,
      onPublish: (r) => records.push(r),
    });
    await fleet.start();
    await settle(fleet, 80);
    const s = fleet.stats();
    expect(s.offlineEpisodes).toBeGreaterThan(0);
    expect(s.replayed).toBeGreaterThan(0);
    expect(s.reordered).toBeGreaterThan(0);
    expect(s.malformedSent).toBeGreaterThan(0);

    // Nothing lost: every event id arrived (some more than once: resent after a dropped link).
    expect(new Set(ids(observer.received)).size).toBe(80);
    // A resent or replayed event carries the ts it was generated with.
    const tsById = new Map<string, string>();
    for (const r of records) {
      expect(tsById.get(r.eventId) ?? r.ts).toBe(r.ts);
      tsById.set(r.eventId, r.ts);
    }
    for (const r of observer.received)
      if (r.json?.event_id) expect(r.json.ts).toBe(tsById.get(r.json.event_id as string));
    // Arrival order differs from sequence order somewhere (reordering).
    const perDevice = fleet
      .devices()
      .map((d) => ids(observer.received.filter((r) => r.deviceId === d.deviceId)).map(seqOf));
    expect(perDevice.some((seqs) => seqs.some((q, i) => i > 0 && q < (seqs[i - 1] as number)))).toBe(true);
    // Malformed payloads: not JSON, or JSON without event_id (one in flight when a link dropped is lost, never resent).
    const malformed = observer.received.filter((r) => !r.json?.event_id);
    expect(malformed.length).toBeGreaterThan(0);
    expect(malformed.length).toBeLessThanOrEqual(s.malformedSent);
    expect(malformed.some((r) => r.json === undefined)).toBe(true);
  });

  it('a pending device keeps asking until an admin assigns it, then publishes', async () => {
    await setup();
    await api.close();
    api = await startDeviceApi({ prefix, autoAssign: (mac) => !mac.endsWith(':01') });
    const fleet = fleetOf({ devices: 2, profile: 'dispenser', eventsPerDevice: 5, handshakeRetryMs: 50 });
    await fleet.start();
    await waitFor(() => fleet.stats().devices.online === 1 && fleet.stats().acked === 5);
    expect(fleet.stats().devices.pending).toBe(1);
    await waitFor(() => fleet.stats().handshakesPending >= 3, { message: 'pending device retries the handshake' });
    expect(fleet.stats().generated).toBe(5);

    api.assign('02:53:00:00:00:01');
    await settle(fleet, 10);
    expect(fleet.stats().devices.online).toBe(2);
    expect(new Set(ids(observer.received)).size).toBe(10);
  });

  it('listens on devices/{id}/commands: a refill command refills a dispenser', async () => {
    await setup();
    const commands: { deviceId: string; payload: string }[] = [];
    const fleet = fleetOf({ devices: 1, profile: 'dispenser', ratePerDevice: 50, onCommand: (c) => commands.push(c) });
    await fleet.start();
    const [device] = fleet.devices();
    const levels = () =>
      observer.received.map((r) => (r.json?.metrics as { level: number } | undefined)?.level ?? Number.NaN);
    await waitFor(() => levels().length >= 3);
    // Wait for a level that a refill would visibly raise.
    await waitFor(() => (levels().at(-1) as number) < 85, { timeoutMs: 20_000 });
    await observer.publish(`devices/${device?.deviceId}/commands`, JSON.stringify({ command: 'refill' }));
    await waitFor(() => commands.length === 1 && fleet.stats().commandsReceived === 1);
    const from = observer.received.length;
    await waitFor(
      () =>
        levels()
          .slice(from)
          .some((l) => l >= 90),
      { message: 'refilled' },
    );
    expect(commands[0]).toEqual({ deviceId: device?.deviceId, payload: '{"command":"refill"}' });
  });

  it('applies a desired interval_s (publishing slower) and reports it with the version; answers set_interval', async () => {
    await setup();
    const fleet = fleetOf({ devices: 1, profile: 'dispenser', ratePerDevice: 20 });
    await fleet.start();
    const [device] = fleet.devices();
    const id = device?.deviceId as string;
    const telemetry = () => observer.received.filter((r) => r.deviceId === id && r.channel === 'telemetry').length;
    await waitFor(() => telemetry() >= 5);
    await observer.publish(`devices/${id}/desired`, JSON.stringify({ version: 7, desired: { interval_s: 1 } }));
    await waitFor(() => observer.received.some((r) => r.channel === 'reported' && r.json?.version === 7), {
      message: 'reported',
    });
    expect(observer.received.find((r) => r.channel === 'reported')?.json).toEqual({
      version: 7,
      reported: { interval_s: 1 },
    });
    // 20 readings a second before; about one a second now
    const from = telemetry();
    await new Promise((r) => setTimeout(r, 2_500));
    expect(telemetry() - from).toBeLessThanOrEqual(4);

    await observer.publish(
      `devices/${id}/commands`,
      JSON.stringify({
        id: 'c7c7c7c7-0000-4000-8000-000000000001',
        name: 'set_interval',
        params: { seconds: 0.1 },
        expectReply: true,
      }),
    );
    await waitFor(
      () =>
        observer.received.some(
          (r) => r.channel === 'commands' && r.raw.includes('"status":"ok"') && r.raw.includes('"intervalS":0.1'),
        ),
      {
        message: 'set_interval answered',
      },
    );
    const before = telemetry();
    await waitFor(() => telemetry() - before >= 8, { timeoutMs: 5_000, message: 'publishing faster again' });
  });

  it('replays a scenario: same seed and clock, same payloads (bursts, skew and duplicates included)', async () => {
    const start = Date.UTC(2026, 2, 1, 12);
    const run = async () => {
      await setup();
      const fleet = fleetOf({
        devices: 3,
        profile: 'mixed',
        eventsPerDevice: 30,
        statusEvery: 7,
        faults: 'burst=0.1,burst-size=3,skew=30s,duplicates=0.1',
        seed: 99,
        clock: () => steppedClock(start, 1_000),
      });
      await fleet.start();
      await settle(fleet, 90);
      const s = await fleet.stop();
      // Per device (by position), in sequence order: everything but the device id.
      const perDevice = fleet.devices().map((d) =>
        observer.received
          .filter((r) => r.deviceId === d.deviceId)
          .map(
            (r) =>
              ({ ...r.json, event_id: seqOf(r.json?.event_id as string), channel: r.channel }) as Record<
                string,
                unknown
              > & { event_id: number },
          )
          .sort((a, b) => a.event_id - b.event_id),
      );
      await observer.close();
      await api.close();
      return { s, perDevice };
    };
    const a = await run();
    const b = await run();
    expect(a.s.bursts).toBeGreaterThan(0);
    expect(a.s.duplicatesSent).toBe(b.s.duplicatesSent);
    expect(b.perDevice).toEqual(a.perDevice);
    // Each device's clock is off by its own fixed amount, within ±30 s of the injected clock.
    const skews = a.perDevice.map((events) => Date.parse(events[0]?.ts as string) - start);
    expect(skews.every((k) => Math.abs(k) <= 30_000)).toBe(true);
    expect(new Set(skews).size).toBe(3);
  });
});
