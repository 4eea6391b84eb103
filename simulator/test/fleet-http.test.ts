import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { uniqueName, waitFor } from '@telemetry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFleet, type PublishRecord } from '../src/index.js';
import { type DeviceApi, startDeviceApi } from './device-api.js';

let stateDir: string;
let api: DeviceApi;

beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'sim-http-'));
  api = await startDeviceApi({ prefix: uniqueName('oz').replace(/_/g, '-') });
});
afterAll(async () => {
  await api?.close();
  await rm(stateDir, { recursive: true, force: true });
});

describe('ozone devices over HTTP (the seed protocol)', () => {
  it('POSTs the seed body with the Bearer token; duplicates are acked idempotently, malformed ones refused, a wrong token never gets in', async () => {
    const records: PublishRecord[] = [];
    const fleet = createFleet({
      onPublish: (r) => records.push(r),
      apiUrl: api.url,
      mqttUrl: 'mqtt://127.0.0.1:1', // not used over http
      transport: 'http',
      profile: 'ozone',
      devices: 3,
      ratePerDevice: 100,
      eventsPerDevice: 20,
      statusEvery: 10,
      faults: 'duplicates=0.2,malformed=0.1,badcreds=1',
      handshakeRetryMs: 100,
      seed: 5,
      stateDir,
    });
    try {
      await fleet.start();
      const [good1, good2, bad] = fleet.devices();
      expect(bad?.badCredentials).toBe(true);
      const goodDuplicates = () => records.filter((r) => r.duplicate && r.deviceId !== bad?.deviceId).length;
      await waitFor(
        () => {
          const s = fleet.stats();
          const refusedMalformed = api.refused.filter((r) => r.status === 400 || r.status === 422).length;
          // Every accepted POST (duplicates too) was acknowledged back; nothing of the good devices still on the way.
          const settled = api.posts.length === 40 + goodDuplicates() && s.acked === api.posts.length;
          return api.events.size === 40 && settled && refusedMalformed === s.malformedSent && s.authFailures >= 2;
        },
        { message: 'good devices delivered everything; the bad one was refused and retried' },
      );
      const s = fleet.stats();

      // Only the two good devices got in, each with ids 1..20.
      const stored = [...api.events.values()];
      for (const d of [good1, good2]) {
        const seqs = stored
          .filter((e) => e.device_id === d?.deviceId)
          .map((e) => Number(String(e.event_id).slice(-10)));
        expect(seqs.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      }
      expect(stored.some((e) => e.device_id === bad?.deviceId)).toBe(false);
      expect(s.devices.auth_failed).toBe(1);

      // The seed's exact body: treatments, and a status heartbeat every 10th event.
      const treatments = stored.filter((e) => e.event === 'treatment');
      expect(treatments).toHaveLength(36);
      for (const t of treatments) {
        expect(Object.keys(t)).toEqual(['device_id', 'firmware', 'event_id', 'event', 'treatment', 'counter', 'ts']);
        expect(t).toMatchObject({
          firmware: '1.0.0',
          treatment: expect.stringMatching(/^(BASIC|STANDARD|PREMIUM)$/),
          ts: expect.stringMatching(/Z$/),
        });
      }
      expect(
        stored
          .filter((e) => e.event === 'status')
          .every((e) => typeof e.rssi === 'number' && typeof e.uptime_s === 'number'),
      ).toBe(true);

      // Duplicates reached the api and were acknowledged like the first copy.
      expect(s.duplicatesSent).toBeGreaterThan(0);
      expect(goodDuplicates()).toBeGreaterThan(0);
      expect(api.posts.length).toBe(40 + goodDuplicates());
      expect(s.malformedSent).toBeGreaterThan(0);
      // Every malformed body was refused (400 not JSON / 422 no event_id) and never resent.
      await waitFor(() => fleet.stats().malformedRejected > 0);
      expect(fleet.stats().malformedRejected).toBeLessThanOrEqual(fleet.stats().malformedSent);
    } finally {
      await fleet.stop();
    }
  });
});
