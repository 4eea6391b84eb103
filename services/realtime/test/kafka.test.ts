import { type Bus, createBus } from '@telemetry/bus';
import { kafkaBrokers, type TestStore, uniqueName, waitFor } from '@telemetry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Client, connect, type Instance, publishTelemetry, reading, tokenFor, type World } from './fixtures.js';
import { startGateway, stopGateway } from './setup.js';

let db: TestStore;
let bus: Bus;
let w: World;
let gw: Instance;
let client: Client | undefined;

beforeAll(async () => {
  ({ db, w, bus, gw } = await startGateway(() =>
    createBus({ kafkaBrokers: kafkaBrokers(), clientId: uniqueName('realtime-test'), partitions: 3 }),
  ));
});

afterAll(async () => {
  client?.close();
  await stopGateway({ gw, bus, db });
});

describe('realtime gateway over real Kafka', () => {
  it('pushes a reading published on telemetry.accepted.v1 to an authorized client', async () => {
    client = await connect(gw.url, tokenFor(w.users.viewerPantry, w.tenantA, 'viewer'));
    expect(await client.subscribe('device', w.deviceA)).toMatchObject({ ok: true });
    const c = client;
    // A new group starts at the end of the topic once Kafka has given it its partitions, which can
    // be a moment after it joined: publish until one arrives rather than guess when that is.
    let n = 0;
    await waitFor(
      async () => {
        await publishTelemetry(bus, [
          { key: w.deviceA, value: reading({ tenantId: w.tenantA, deviceId: w.deviceA }, n++) },
        ]);
        return c.telemetry.length > 0;
      },
      { timeoutMs: 30_000, intervalMs: 250, message: 'a reading over Kafka' },
    );
    expect(c.telemetry[0]).toMatchObject({ tenantId: w.tenantA, deviceId: w.deviceA });
    expect(c.telemetry[0]?.trace.pushed).toBeTypeOf('number');
  });
});
