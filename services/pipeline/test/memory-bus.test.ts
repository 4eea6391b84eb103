import { randomUUID } from 'node:crypto';
import { type Bus, createMemoryBus } from '@telemetry/bus';
import { loadConfig } from '@telemetry/config';
import {
  type TelemetryAcceptedV1 as Accepted,
  decodeMessage,
  fromReading,
  ReadingBatch,
  TelemetryAcceptedV1,
  TelemetryDeadV1,
  type TelemetryRawV1,
} from '@telemetry/contracts';
import { createRegistry, silentLogger } from '@telemetry/observability';
import { createTestStore, type TestStore, uniqueName, waitFor } from '@telemetry/testing';
import { latestValues, listRawEvents, queryRollups } from '@telemetry/timeseries';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPipeline, type Pipeline } from '../src/index.js';

// The reading aggregator seed (001): customer 1's sample readings (the three shown first, then the
// rest of its sample_data), and readings made up for customer 2, over 20 minutes.
const CUSTOMER_1 = 'b0c2bda5-0d6d-4c6a-86d4-76489ea2b9df';
const CUSTOMER_2 = '09a96248-2a72-4288-ac9b-02f2779161e3';
const D71 = '71bf19cb-e7e7-4334-af31-5ebba56a655d';
const D1C = '1cf67335-0793-42ad-80f3-3156cabc9da9';
const D94 = '94324014-0b4c-4b7e-840c-ff82f5304b06';
const DC2 = 'c2a1e7d0-5b1e-4c8e-9a43-0f1d2e3c4b5a';
const r = (time: string, reading: number, device_id: string, customer_id: string) => ({
  timestamp: `2022-01-21T${time}.950901`,
  reading,
  device_id,
  customer_id,
});
const SEED_READINGS = [
  r('10:56:18', 0.63, D71, CUSTOMER_1),
  r('10:57:18', 0.9, D71, CUSTOMER_1),
  r('10:58:18', 0.9, D71, CUSTOMER_1),
  r('10:59:18', 0.32, D71, CUSTOMER_1),
  r('11:00:18', 0.96, D1C, CUSTOMER_1),
  r('11:01:18', 0.45, D1C, CUSTOMER_1),
  r('11:02:18', 0.55, D1C, CUSTOMER_1),
  r('11:03:18', 0.94, D71, CUSTOMER_1),
  r('11:04:18', 0.61, D94, CUSTOMER_1),
  r('11:05:18', 0.09, D71, CUSTOMER_1),
  // made up
  r('11:08:18', 0.5, D71, CUSTOMER_1),
  r('11:12:18', 0.7, D71, CUSTOMER_1),
  r('11:14:18', 0.2, D71, CUSTOMER_1),
  r('10:56:00', 1.5, DC2, CUSTOMER_2),
  r('10:58:30', 2.5, DC2, CUSTOMER_2),
  r('11:01:00', 3, DC2, CUSTOMER_2),
  r('11:03:00', 4, DC2, CUSTOMER_2),
  r('11:04:59', 5, DC2, CUSTOMER_2),
  r('11:11:00', 10, DC2, CUSTOMER_2),
  r('11:03:00', 4, DC2, CUSTOMER_2), // the firmware retried: same reading, same derived event id
];

/** What the API's batch-readings endpoint puts on telemetry.raw.v1 (customer id → tenant). */
function toRaw(tenantOf: Record<string, string>, reading: ReturnType<typeof r>): TelemetryRawV1 {
  const [parsed] = ReadingBatch.parse([reading]);
  const n = fromReading(parsed as NonNullable<typeof parsed>);
  return {
    v: 1,
    tenantId: tenantOf[reading.customer_id] as string,
    deviceId: reading.device_id,
    eventId: n.eventId,
    kind: n.kind,
    ts: n.ts as string,
    receivedAt: '2022-01-21T11:20:00.000Z',
    source: 'http',
    metrics: n.metrics,
    attributes: n.attributes,
    trace: {},
  };
}

describe('pipeline over the memory bus + embedded store', () => {
  let t: TestStore;
  let bus: Bus;
  let pipeline: Pipeline;
  const topics = { raw: uniqueName('raw'), accepted: uniqueName('accepted'), dead: uniqueName('dead') };
  const accepted: Accepted[] = [];
  const dead: TelemetryDeadV1[] = [];
  const tenant1 = randomUUID();
  const tenant2 = randomUUID();

  beforeAll(async () => {
    t = await createTestStore('embedded');
    bus = createMemoryBus({ partitions: 2 });
    // 2022 data: a late window reaching back to it (the worker's clock is the real one here)
    const config = loadConfig({ LATE_WINDOW: '3650d' });
    pipeline = createPipeline({
      bus,
      store: t.store,
      logger: silentLogger(),
      registry: createRegistry(),
      config,
      topics,
      maintenanceIntervalMs: 0,
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

  it("gives the reading aggregator seed's 5-minute means, per customer", async () => {
    const tenantOf = { [CUSTOMER_1]: tenant1, [CUSTOMER_2]: tenant2 };
    // the memory bus resolves a publish once the durable "store" group committed it: stored now
    await bus.publish(
      topics.raw,
      SEED_READINGS.map((x) => ({ key: x.device_id, value: JSON.stringify(toRaw(tenantOf, x)) })),
    );
    const q = {
      from: '2022-01-21T10:55:00Z',
      to: '2022-01-21T11:15:00Z',
      bucket: '5m',
      aggregations: ['avg', 'count'],
    } as const;
    const c1 = await queryRollups(t.store.pool, { ...q, tenantId: tenant1 });
    const means = (rows: typeof c1) =>
      rows.map((p) => [p.deviceId, p.bucket.slice(11, 16), p.values.avg, p.values.count]);
    const byHand = [
      [D1C, '11:00', (0.96 + 0.45 + 0.55) / 3, 3],
      [D71, '10:55', (0.63 + 0.9 + 0.9 + 0.32) / 4, 4], // 0.6875
      [D71, '11:00', 0.94, 1],
      [D71, '11:05', (0.09 + 0.5) / 2, 2],
      [D71, '11:10', (0.7 + 0.2) / 2, 2],
      [D94, '11:00', 0.61, 1],
    ] as const;
    const got = means(c1);
    expect(got.map((g) => [g[0], g[1], g[3]])).toEqual(byHand.map((h) => [h[0], h[1], h[3]]));
    for (const [i, g] of got.entries()) expect(g[2]).toBeCloseTo(byHand[i]?.[2] as number, 12);
    expect(got[1]?.[2]).toBe(0.6875);

    const c2 = await queryRollups(t.store.pool, { ...q, tenantId: tenant2 });
    expect(means(c2)).toEqual([
      [DC2, '10:55', 2, 2],
      [DC2, '11:00', 4, 3], // the retried 11:03 reading counted once
      [DC2, '11:10', 10, 1],
    ]);
    // customer 1 as a whole (its devices merged)
    const whole = await queryRollups(t.store.pool, { ...q, tenantId: tenant1, groupBy: 'tenant' });
    expect(whole.map((p) => p.values.count)).toEqual([4, 5, 2, 2]);
    expect(whole[1]?.values.avg).toBeCloseTo((0.96 + 0.45 + 0.55 + 0.94 + 0.61) / 5, 12);
    // the watcher is not a durable group: publish did not wait for it
    await waitFor(() => accepted.filter((a) => a.tenantId === tenant2).length === 6);
  });

  it('keeps raw rows only on change for a deadband type, with the asset binding and tenant checks', async () => {
    const { rows } = await t.store.pool.query<{ id: string }>(`INSERT INTO tenants (name) VALUES ($1) RETURNING id`, [
      uniqueName('plant'),
    ]);
    const tenant = rows[0]?.id as string;
    await t.store.pool.query(`INSERT INTO tenants (id, name) VALUES ($1, $2)`, [tenant1, uniqueName('customer1')]);
    const asset = await t.store.pool.query<{ id: string }>(
      `INSERT INTO assets (tenant_id, type, name) VALUES ($1, 'machine', 'press 1') RETURNING id`,
      [tenant],
    );
    const assetId = asset.rows[0]?.id as string;
    await t.store.pool.query(
      `INSERT INTO device_types (tenant_id, name, deadband) VALUES ($1, 'press', '{"temperature": 0.5, "*": 0}')`,
      [tenant],
    );
    await t.store.pool.query(
      `INSERT INTO devices (id, tenant_id, device_type, state, asset_id) VALUES ('press-1', $1, 'press', 'active', $2), ('other-1', $3, 'generic', 'active', NULL)`,
      [tenant, assetId, tenant1],
    );
    await t.store.pool.query(
      `INSERT INTO device_bindings (tenant_id, device_id, asset_id) VALUES ($1, 'press-1', $2)`,
      [tenant, assetId],
    );

    const at = (s: number) => new Date(Date.now() - 600_000 + s * 20_000).toISOString();
    const reading = (i: number, temperature: number, rpm: number, deviceId = 'press-1'): TelemetryRawV1 => ({
      v: 1,
      tenantId: tenant,
      deviceId,
      eventId: `${deviceId}-${i}`,
      kind: 'telemetry',
      ts: at(i),
      receivedAt: at(i),
      source: 'http',
      metrics: { temperature, rpm },
      attributes: {},
      trace: {},
    });
    // every 20 s; only readings 0, 2 (temperature +0.6), 4 (rpm changed) differ enough
    const batch = [
      reading(0, 20, 100),
      reading(1, 20.3, 100),
      reading(2, 20.6, 100),
      reading(3, 21, 100),
      reading(4, 21, 101),
      reading(5, 20.9, 101),
      reading(0, 0, 0, 'other-1'),
    ];
    await bus.publish(
      topics.raw,
      batch.map((m) => ({ key: m.deviceId, value: JSON.stringify(m) })),
    );

    const raw = await listRawEvents(t.store.pool, { tenantId: tenant, deviceId: 'press-1' });
    expect(raw.items.map((i) => i.eventId).sort()).toEqual(['press-1-0', 'press-1-2', 'press-1-4']);
    const [state] = await latestValues(t.store.pool, { tenantId: tenant });
    expect(state?.eventCount).toBe(6);
    expect(state?.values.temperature?.value).toBe(20.9);
    // the range selects source buckets: whole hours around the readings
    const hour = 3_600_000;
    const from = new Date(Math.floor(Date.parse(at(0)) / hour) * hour - hour);
    const sums = await queryRollups(t.store.pool, {
      tenantId: tenant,
      from,
      to: new Date(from.getTime() + 3 * hour),
      bucket: '1h',
      aggregations: ['count'],
      metrics: ['rpm'],
    });
    expect(sums.reduce((n, p) => n + (p.values.count ?? 0), 0)).toBe(6);

    await waitFor(() => accepted.filter((a) => a.tenantId === tenant).length === 6 && dead.length > 0);
    const mine = accepted.filter((a) => a.tenantId === tenant);
    expect(new Set(mine.map((a) => a.assetId))).toEqual(new Set([assetId]));
    expect(dead.map((d) => [d.reason, d.deviceId])).toContainEqual(['unknown_device', 'other-1']);
  });

  it('dead-letters the one message the database refuses and stores the rest of its batch', async () => {
    const tenant = randomUUID();
    const msg = (eventId: string, attributes: Record<string, unknown> = {}): TelemetryRawV1 => ({
      v: 1,
      tenantId: tenant,
      deviceId: 'poison-1',
      eventId,
      kind: 'telemetry',
      ts: new Date().toISOString(),
      receivedAt: new Date().toISOString(),
      source: 'mqtt',
      metrics: { x: 1 },
      attributes,
      trace: {},
    });
    // PostgreSQL text cannot hold NUL: valid JSON, valid schema, refused by the database
    const batch = [msg('ok-1'), msg('bad-1', { note: 'a\u0000b' }), msg('ok-2')];
    await bus.publish(
      topics.raw,
      batch.map((m) => ({ key: m.deviceId, value: JSON.stringify(m) })),
    );
    const raw = await listRawEvents(t.store.pool, { tenantId: tenant });
    expect(raw.items.map((i) => i.eventId).sort()).toEqual(['ok-1', 'ok-2']);
    await waitFor(() => dead.some((d) => d.eventId === 'bad-1'));
    expect(dead.find((d) => d.eventId === 'bad-1')?.reason).toBe('schema_invalid');
  });
});
