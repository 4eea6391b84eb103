import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { uniqueName, waitFor } from '@telemetry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFleet } from '../src/index.js';
import { startCheckingBroker } from './broker.js';
import { type DeviceApi, startDeviceApi } from './device-api.js';

// mosquitto here accepts anyone, so this scenario runs against an aedes broker that checks the
// token the handshake peer issued, as the platform's gateway does.
let stateDir: string;
let api: DeviceApi;
let broker: Awaited<ReturnType<typeof startCheckingBroker>>;

beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'sim-auth-'));
  api = await startDeviceApi({ prefix: uniqueName('auth').replace(/_/g, '-') });
  broker = await startCheckingBroker((id, token) => api.tokenOk(id, token));
});
afterAll(async () => {
  await broker?.close();
  await api?.close();
  await rm(stateDir, { recursive: true, force: true });
});

describe('bad credentials over MQTT', () => {
  it('the badcreds device is refused at CONNECT (and keeps trying after a fresh handshake); the others publish', async () => {
    const fleet = createFleet({
      apiUrl: api.url,
      mqttUrl: broker.url,
      profile: 'machine',
      devices: 3,
      ratePerDevice: 100,
      eventsPerDevice: 10,
      statusEvery: 0,
      faults: { badcreds: 1 },
      handshakeRetryMs: 50,
      stateDir,
    });
    try {
      await fleet.start();
      const bad = fleet.devices().find((d) => d.badCredentials);
      await waitFor(
        () =>
          broker.published.length === 20 &&
          fleet.stats().acked === 20 &&
          fleet.stats().authFailures >= 2 &&
          broker.refused.length >= 2,
      );
      const s = fleet.stats();
      expect(s.devices.online).toBe(2);
      expect(s.devices.auth_failed).toBe(1);
      expect(s.acked).toBe(20);
      expect(new Set(broker.refused)).toEqual(new Set([bad?.deviceId]));
      expect(broker.published.some((p) => p.topic.startsWith(`devices/${bad?.deviceId}/`))).toBe(false);
      // It asked for its token again before each new attempt, as firmware does after a refusal.
      expect(s.handshakes).toBeGreaterThanOrEqual(3 + s.authFailures - 1);
    } finally {
      await fleet.stop();
    }
  });
});
