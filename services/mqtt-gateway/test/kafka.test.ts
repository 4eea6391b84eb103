import { type Bus, createBus } from '@telemetry/bus';
import { decodeMessage, TelemetryDeadV1 } from '@telemetry/contracts';
import { createTestStore, kafkaBrokers, type TestStore, uniqueName, waitFor } from '@telemetry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDevice, startGateway, type Tap, type TestGateway, tap } from './helpers.js';

// The same bridge against real Kafka (the run's shared broker; this file's own topics).

let db: TestStore;
let bus: Bus;
let gw: TestGateway;
let raw: Tap;
let dead: Tap;

beforeAll(async () => {
  db = await createTestStore('embedded');
  bus = createBus({ kafkaBrokers: kafkaBrokers(), clientId: uniqueName('gw-kafka'), partitions: 3 });
  gw = await startGateway(bus, db.store);
  raw = await tap(bus, gw.topics.raw);
  dead = await tap(bus, gw.topics.dead);
});

afterAll(async () => {
  await gw?.close();
  await bus?.close();
  await db?.drop();
});

describe('mqtt gateway (Kafka)', () => {
  it('puts every acknowledged publish of several devices on telemetry.raw.v1, in order per device', async () => {
    const devices = ['k-1', 'k-2', 'k-3'];
    const perDevice = 50;
    const clients = await Promise.all(devices.map(async (id) => connectDevice(gw.port, id, await gw.device(id))));
    await Promise.all(
      clients.map((client, d) =>
        Promise.all(
          Array.from({ length: perDevice }, (_, i) =>
            client.publishAsync(
              `devices/${devices[d]}/telemetry`,
              JSON.stringify({ event_id: `${devices[d]}-${i}`, i }),
              { qos: 1 },
            ),
          ),
        ),
      ),
    );
    // Every PUBACK is in: Kafka has all of them (acks=all); the consumer only has to read them.
    await waitFor(() => raw.messages.length >= devices.length * perDevice, { timeoutMs: 30_000 });
    for (const id of devices) {
      expect(raw.of(id).map((m) => m.eventId)).toEqual(Array.from({ length: perDevice }, (_, i) => `${id}-${i}`));
    }
    await Promise.all(clients.map((c) => c.endAsync()));
  });

  it('dead-letters a malformed payload on Kafka before PUBACKing it', async () => {
    const client = await connectDevice(gw.port, 'k-dead', await gw.device('k-dead'));
    await client.publishAsync('devices/k-dead/events', '[1,2,3]', { qos: 1 });
    await waitFor(() => dead.messages.some((m) => m.key === 'k-dead'), { timeoutMs: 30_000 });
    const letter = decodeMessage(TelemetryDeadV1, dead.messages.find((m) => m.key === 'k-dead')!.value);
    expect(letter).toMatchObject({ reason: 'schema_invalid', deviceId: 'k-dead', channel: 'devices/k-dead/events' });
    await client.endAsync();
  });
});
