import { type Bus, createMemoryBus } from '@telemetry/bus';
import { encodeMessage, TelemetryDeadV1 } from '@telemetry/contracts';
import { createRegistry, silentLogger } from '@telemetry/observability';
import { createTestStore, type TestStore, uniqueName } from '@telemetry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRejections, type Rejections } from '../src/index.js';

// #14: every dead letter is kept with its reason, time and an excerpt, bounded, and expires.
let db: TestStore;
let bus: Bus;
let rejections: Rejections;
let tenantId: string;
const topic = uniqueName('dead');
const registry = createRegistry();

beforeAll(async () => {
  db = await createTestStore('embedded');
  bus = createMemoryBus({ partitions: 2 });
  tenantId = (
    await db.store.pool.query<{ id: string }>('INSERT INTO tenants (name) VALUES ($1) RETURNING id', [uniqueName('t')])
  ).rows[0]!.id;
  rejections = createRejections({
    bus,
    store: db.store,
    logger: silentLogger(),
    registry,
    topic,
    limits: { perDevice: 5, perTenant: 8 },
    pruneIntervalMs: 0,
  });
  await rejections.start();
});
afterAll(async () => {
  await rejections?.close();
  await bus?.close();
  await db?.drop();
});

const letter = (over: Partial<TelemetryDeadV1> & { payload?: string }): TelemetryDeadV1 => ({
  v: 1,
  reason: 'not_json',
  detail: 'Unexpected token',
  tenantId,
  deviceId: 'dev-1',
  eventId: null,
  source: 'mqtt',
  channel: 'devices/dev-1/telemetry',
  original: Buffer.from(over.payload ?? 'temp=21.5').toString('base64'),
  receivedAt: new Date().toISOString(),
  ...over,
});

async function publish(letters: TelemetryDeadV1[]): Promise<void> {
  await bus.publish(
    topic,
    letters.map((l) => ({ key: l.deviceId ?? '', value: encodeMessage(TelemetryDeadV1, l) })),
  );
}

async function kept(deviceId: string) {
  const { rows } = await db.store.pool.query(
    `SELECT reason, detail, source, channel, excerpt, payload_bytes FROM device_rejections
     WHERE tenant_id = $1 AND device_id = $2 ORDER BY received_at, id`,
    [tenantId, deviceId],
  );
  return rows;
}

describe('rejections consumer', () => {
  it('keeps each dead letter once, with reason, excerpt and counts; a republished one is not kept twice', async () => {
    const a = letter({ deviceId: 'dev-1', payload: 'temp=21.5' });
    const b = letter({
      deviceId: 'dev-1',
      reason: 'acl_denied',
      channel: 'sensors/x',
      payload: `{"t":1,"pad":"${'x'.repeat(2000)}"}`,
    });
    await publish([a, b]);
    // publish resolved: the durable group committed; the same letters again (a redelivered batch)
    await publish([a, b]);
    const rows = await kept('dev-1');
    expect(rows.map((r) => [r.reason, r.source, r.channel])).toEqual([
      ['not_json', 'mqtt', 'devices/dev-1/telemetry'],
      ['acl_denied', 'mqtt', 'sensors/x'],
    ]);
    expect(rows[0].excerpt).toBe('temp=21.5');
    expect(rows[1].excerpt).toHaveLength(512);
    expect(rows[1].payload_bytes).toBe(2016);
    const { rows: counts } = await db.store.pool.query(
      `SELECT reason, count::int FROM device_rejection_counts WHERE tenant_id = $1 AND device_id = 'dev-1' ORDER BY reason`,
      [tenantId],
    );
    expect(counts).toEqual([
      { reason: 'acl_denied', count: 1 },
      { reason: 'not_json', count: 1 },
    ]);
    const metric = await registry.getSingleMetric('telemetry_rejections_total')?.get();
    expect(metric?.values.find((v) => v.labels.reason === 'acl_denied')?.value).toBe(1);
  });

  it('bounds the rows per device and per tenant (newest kept), counts everything', async () => {
    const base = Date.now() - 60_000;
    const many = Array.from({ length: 7 }, (_, i) =>
      letter({ deviceId: 'dev-2', detail: `n${i}`, receivedAt: new Date(base + i * 1000).toISOString() }),
    );
    await publish(many);
    const { rows } = await db.store.pool.query<{ detail: string }>(
      `SELECT detail FROM device_rejections WHERE tenant_id = $1 AND device_id = 'dev-2' ORDER BY received_at`,
      [tenantId],
    );
    expect(rows.map((r) => r.detail)).toEqual(['n2', 'n3', 'n4', 'n5', 'n6']);
    await publish([letter({ deviceId: 'dev-3', detail: 'x1' }), letter({ deviceId: 'dev-3', detail: 'x2' })]);
    const { rows: all } = await db.store.pool.query('SELECT 1 FROM device_rejections WHERE tenant_id = $1', [tenantId]);
    expect(all.length).toBe(8);
    const { rows: counts } = await db.store.pool.query(
      `SELECT count::int FROM device_rejection_counts WHERE tenant_id = $1 AND device_id = 'dev-2'`,
      [tenantId],
    );
    expect(counts).toEqual([{ count: 7 }]);
  });

  it('deletes rows past the tenant’s retention; dead letters without a tenant are counted, not kept', async () => {
    // another tenant, under its bound, with a retention of 2 days
    const other = (
      await db.store.pool.query<{ id: string }>(
        `INSERT INTO tenants (name, settings) VALUES ($1, '{"rejections":{"retentionDays":2}}') RETURNING id`,
        [uniqueName('t')],
      )
    ).rows[0]!.id;
    const old = new Date(Date.now() - 3 * 86_400_000).toISOString();
    await publish([
      letter({ tenantId: other, deviceId: 'dev-4', receivedAt: old }),
      letter({ tenantId: other, deviceId: 'dev-4' }),
    ]);
    const count = async () =>
      (await db.store.pool.query('SELECT 1 FROM device_rejections WHERE tenant_id = $1', [other])).rows.length;
    expect(await count()).toBe(2);
    expect(await rejections.prune()).toBe(1);
    expect(await count()).toBe(1);
    // the first tenant keeps the default 30 days: nothing of it was deleted
    expect(
      (await db.store.pool.query('SELECT 1 FROM device_rejections WHERE tenant_id = $1', [tenantId])).rows,
    ).toHaveLength(8);

    await publish([letter({ tenantId: null, deviceId: null, reason: 'unknown_device' })]);
    const unkept = await registry.getSingleMetric('telemetry_rejections_unkept_total')?.get();
    expect(unkept?.values.find((v) => v.labels.why === 'no_tenant')?.value).toBe(1);
  });
});
