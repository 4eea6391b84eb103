import { type Bus, createMemoryBus } from '@telemetry/bus';
import { createTestStore, type TestStore, waitFor } from '@telemetry/testing';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDevice, startGateway, type TestGateway } from './helpers.js';

// The periodic checks of the gateway, run every 100 ms here: open sessions against the registry,
// and the prune of pending devices nobody assigned.

let db: TestStore;
let bus: Bus;
let gw: TestGateway;

beforeAll(async () => {
  db = await createTestStore('embedded');
  bus = createMemoryBus({ partitions: 2 });
  gw = await startGateway(bus, db.store, {
    revalidateIntervalMs: 100,
    pendingTtlMs: 86_400_000,
    pruneIntervalMs: 100,
  });
});

afterAll(async () => {
  await gw?.close();
  await bus?.close();
  await db?.drop();
});

const closedSignal = (client: MqttClient) => {
  const state = { closed: false };
  client.once('close', () => {
    state.closed = true;
  });
  return state;
};

describe('mqtt gateway periodic checks', () => {
  it('closes a session whose token was rotated away, keeps current and in-grace ones', async () => {
    const leakedToken = await gw.device('rot-leaked');
    const graceToken = await gw.device('rot-grace');
    const currentToken = await gw.device('rot-current');
    const leaked = await connectDevice(gw.port, 'rot-leaked', leakedToken);
    const grace = await connectDevice(gw.port, 'rot-grace', graceToken);
    const leakedState = closedSignal(leaked);
    const graceState = closedSignal(grace);
    // The admin rotates the leaked token with no grace; the other device re-handshook (grace).
    const { token: fresh } = await gw.registry.lifecycle.rotateToken('rot-leaked', { graceMs: 0 });
    await gw.registry.lifecycle.rotateToken('rot-grace', { graceMs: 60_000 });
    const current = await connectDevice(gw.port, 'rot-current', currentToken);
    const currentState = closedSignal(current);

    await waitFor(() => leakedState.closed, { timeoutMs: 10_000 });
    // the same pass judged the other two: still open
    expect(graceState.closed).toBe(false);
    expect(currentState.closed).toBe(false);
    leaked.end(true);

    // the device itself reconnects with its new token and stays
    const again = await connectDevice(gw.port, 'rot-leaked', fresh);
    const againState = closedSignal(again);
    // the in-grace session ends once its grace is over
    await db.store.pool.query(
      "UPDATE devices SET previous_token_expires_at = now() - interval '1 second' WHERE id = 'rot-grace'",
    );
    await waitFor(() => graceState.closed, { timeoutMs: 10_000 });
    expect(againState.closed).toBe(false);
    expect(currentState.closed).toBe(false);
    grace.end(true);
    await Promise.all([again.endAsync(), current.endAsync()]);
  });

  it('deletes pending devices never assigned once they are older than the TTL', async () => {
    const stale = await gw.registry.lifecycle.handshake({ mac: '02:00:00:00:aa:01', firmware: '1' });
    const fresh = await gw.registry.lifecycle.handshake({ mac: '02:00:00:00:aa:02', firmware: '1' });
    await db.store.pool.query("UPDATE devices SET updated_at = now() - interval '2 days' WHERE id = $1", [
      stale.deviceId,
    ]);
    await waitFor(async () => (await gw.registry.directory.get(stale.deviceId)) === undefined, { timeoutMs: 10_000 });
    expect((await gw.registry.directory.get(fresh.deviceId))?.state).toBe('pending');
  });
});
