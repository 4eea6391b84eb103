import { type Bus, createMemoryBus } from '@telemetry/bus';
import { loadConfig } from '@telemetry/config';
import {
  decodeMessage,
  encodeMessage,
  TelemetryAcceptedV1,
  TelemetryDeadV1,
  TelemetryRawV1,
} from '@telemetry/contracts';
import { createRegistry, silentLogger } from '@telemetry/observability';
import { createTestStore, type TestStore, uniqueName, waitFor } from '@telemetry/testing';
import { countConflicts, listConflicts, listRawEvents, queryRollups } from '@telemetry/timeseries';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPipeline, type Pipeline } from '../src/index.js';

// #14: the same event id with another payload is a conflict, kept apart and shown, never a silent
// duplicate; a true resend is still one event. The late window is a tenant setting.

const DAY = 86_400_000;
let t: TestStore;
let bus: Bus;
let pipeline: Pipeline;
const topics = { raw: uniqueName('raw'), accepted: uniqueName('accepted'), dead: uniqueName('dead') };
const accepted: TelemetryAcceptedV1[] = [];
const dead: TelemetryDeadV1[] = [];
let tenant: string;
let historyTenant: string;

const raw = (tenantId: string, deviceId: string, eventId: string, ts: number, metrics: Record<string, number>) =>
  encodeMessage(TelemetryRawV1, {
    v: 1,
    tenantId,
    deviceId,
    eventId,
    kind: 'telemetry',
    ts: new Date(ts).toISOString(),
    receivedAt: new Date().toISOString(),
    source: 'mqtt',
    metrics,
    attributes: {},
    trace: { device: ts, gateway: Date.now() },
  });
const send = (...values: Buffer[]) =>
  bus.publish(
    topics.raw,
    values.map((value) => ({ key: 'k', value })),
  );

beforeAll(async () => {
  t = await createTestStore('embedded');
  const mk = async (settings: object) =>
    (
      await t.store.pool.query<{ id: string }>('INSERT INTO tenants (name, settings) VALUES ($1, $2) RETURNING id', [
        uniqueName('tenant'),
        JSON.stringify(settings),
      ])
    ).rows[0]!.id;
  tenant = await mk({});
  historyTenant = await mk({ ingest: { lateWindowDays: 2000 } });
  bus = createMemoryBus({ partitions: 1 });
  pipeline = createPipeline({
    bus,
    store: t.store,
    logger: silentLogger(),
    registry: createRegistry(),
    config: loadConfig({ LATE_WINDOW: '7d' }),
    topics,
    maintenanceIntervalMs: 0,
    settingsTtlMs: 0,
  });
  await pipeline.start();
  await bus.subscribe({
    groupId: 'watch',
    topics: [topics.accepted, topics.dead],
    durable: false,
    handler: async (batch) => {
      for (const m of batch.messages) {
        if (batch.topic === topics.accepted) accepted.push(decodeMessage(TelemetryAcceptedV1, m.value));
        else dead.push(decodeMessage(TelemetryDeadV1, m.value));
      }
    },
  });
});

afterAll(async () => {
  await pipeline?.close();
  await bus?.close();
  await t?.drop();
});

const count = async (deviceId: string, tenantId = tenant) => {
  const points = await queryRollups(t.store.pool, {
    tenantId,
    deviceIds: [deviceId],
    metrics: ['counter'],
    bucket: '1d',
    from: new Date(Date.now() - 3000 * DAY),
    to: new Date(Date.now() + DAY),
    aggregations: ['count', 'sum'],
  });
  let count = 0;
  let sum = 0;
  for (const p of points) {
    count += p.values.count ?? 0;
    sum += p.values.sum ?? 0;
  }
  return { count, sum };
};

describe('id conflicts', () => {
  it('keeps a reused id with another ts and value apart: stored once, conflict shown with both versions', async () => {
    const t0 = Date.now() - 60_000;
    // before the reboot: counter 41 as event 7; after it (counter reset), 3 as event 7 again
    await send(raw(tenant, 'boot-1', '7', t0, { counter: 41 }));
    await send(raw(tenant, 'boot-1', '7', t0 + 30_000, { counter: 3 }));
    await send(raw(tenant, 'boot-1', '7', t0 + 30_000, { counter: 3 })); // that conflicting version, resent
    await send(raw(tenant, 'boot-1', '7', t0, { counter: 41 })); // the stored version, resent
    await waitFor(() => dead.filter((d) => d.deviceId === 'boot-1').length >= 1);

    const rows = await listRawEvents(t.store.pool, { tenantId: tenant, deviceId: 'boot-1' });
    expect(rows.items.map((r) => r.metrics)).toEqual([{ counter: 41 }]);
    expect(await count('boot-1')).toEqual({ count: 1, sum: 41 });
    expect(accepted.filter((a) => a.deviceId === 'boot-1')).toHaveLength(1);

    const letters = dead.filter((d) => d.deviceId === 'boot-1');
    expect(letters.map((l) => [l.reason, l.eventId])).toEqual([['id_conflict', '7']]);
    const { items } = await listConflicts(t.store.pool, { tenantId: tenant, deviceId: 'boot-1' });
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      eventId: '7',
      reason: 'id_conflict',
      stored: { ts: new Date(t0).toISOString(), metrics: { counter: 41 } },
      conflicting: {
        ts: new Date(t0 + 30_000).toISOString(),
        deviceTs: new Date(t0 + 30_000).toISOString(),
        metrics: { counter: 3 },
      },
    });
    expect(await countConflicts(t.store.pool, tenant)).toEqual({ 'boot-1': 1 });
    // tenant-scoped: another tenant sees none of it
    expect((await listConflicts(t.store.pool, { tenantId: historyTenant })).items).toHaveLength(0);
  });

  it('judges copies inside one batch the same way: a resend is a duplicate, another payload a conflict', async () => {
    const t0 = Date.now() - 10_000;
    await send(
      raw(tenant, 'batch-1', 'e1', t0, { counter: 1 }),
      raw(tenant, 'batch-1', 'e1', t0, { counter: 1 }),
      raw(tenant, 'batch-1', 'e1', t0, { counter: 2 }),
      raw(tenant, 'batch-1', 'e2', t0 + 1, { counter: 5 }),
    );
    await waitFor(() => accepted.filter((a) => a.deviceId === 'batch-1').length === 2);
    await waitFor(() => dead.some((d) => d.deviceId === 'batch-1'));
    expect(await count('batch-1')).toEqual({ count: 2, sum: 6 });
    expect(dead.filter((d) => d.deviceId === 'batch-1').map((d) => d.reason)).toEqual(['id_conflict']);
    const { items } = await listConflicts(t.store.pool, { tenantId: tenant, deviceId: 'batch-1' });
    expect(items.map((c) => [c.stored?.metrics, c.conflicting.metrics])).toEqual([[{ counter: 1 }, { counter: 2 }]]);
  });

  it('treats an event without device time resent with another receive time as the same event', async () => {
    const mk = (receivedAt: string) =>
      encodeMessage(TelemetryRawV1, {
        v: 1,
        tenantId: tenant,
        deviceId: 'http-1',
        eventId: 'oz-1',
        kind: 'event',
        ts: receivedAt,
        receivedAt,
        source: 'http',
        metrics: { counter: 9 },
        attributes: { event: 'treatment' },
        trace: { gateway: Date.parse(receivedAt) },
      });
    await send(mk(new Date(Date.now() - 5_000).toISOString()));
    await send(mk(new Date().toISOString()));
    await waitFor(() => accepted.some((a) => a.deviceId === 'http-1'));
    expect(accepted.filter((a) => a.deviceId === 'http-1')).toHaveLength(1);
    expect((await listConflicts(t.store.pool, { tenantId: tenant, deviceId: 'http-1' })).items).toHaveLength(0);
  });
});

describe('per-tenant late window', () => {
  it('stores history within the tenant window, dead-letters it past the default window elsewhere', async () => {
    const old = Date.parse('2022-01-21T10:56:18Z');
    await send(raw(historyTenant, 'hist-1', 'h1', old, { counter: 2 }));
    await send(raw(tenant, 'hist-2', 'h1', old, { counter: 2 }));
    await waitFor(() => accepted.some((a) => a.deviceId === 'hist-1'));
    await waitFor(() => dead.some((d) => d.deviceId === 'hist-2'));
    expect(dead.find((d) => d.deviceId === 'hist-2')?.reason).toBe('too_late');
    expect(await count('hist-1', historyTenant)).toEqual({ count: 1, sum: 2 });
    expect(accepted.find((a) => a.deviceId === 'hist-1')?.late).toBe(false);
  });

  it('follows a change of the tenant setting', async () => {
    await t.store.pool.query(`UPDATE tenants SET settings = '{"ingest":{"lateWindowDays":30}}' WHERE id = $1`, [
      tenant,
    ]);
    await send(raw(tenant, 'hist-3', 'h1', Date.now() - 20 * DAY, { counter: 1 }));
    await send(raw(tenant, 'hist-3', 'h2', Date.now() - 40 * DAY, { counter: 1 }));
    await waitFor(() => accepted.some((a) => a.deviceId === 'hist-3') && dead.some((d) => d.deviceId === 'hist-3'));
    expect(accepted.filter((a) => a.deviceId === 'hist-3').map((a) => a.eventId)).toEqual(['h1']);
    expect(dead.filter((d) => d.deviceId === 'hist-3').map((d) => [d.eventId, d.reason])).toEqual([['h2', 'too_late']]);
  });
});
