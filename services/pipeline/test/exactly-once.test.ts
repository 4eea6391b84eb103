import { randomUUID } from 'node:crypto';
import { type Bus, createBus } from '@telemetry/bus';
import { loadConfig } from '@telemetry/config';
import { decodeMessage, TelemetryAcceptedV1, TelemetryDeadV1 } from '@telemetry/contracts';
import { createRegistry, silentLogger } from '@telemetry/observability';
import { createTestStore, kafkaBrokers, type TestStore, uniqueName, waitFor } from '@telemetry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPipeline, type FaultInfo, type Pipeline, type PipelineFaults } from '../src/index.js';
import { buildStream, centsOf, expectedRollups, key } from './stream.js';

const NOW = Date.UTC(2024, 0, 10, 12, 0, 0);
const BATCH = 40;
const config = loadConfig({ PIPELINE_BATCH_SIZE: String(BATCH) });

/** A fault that fires once, on the nth call. */
function failOn(n: number, what: string, fired: string[]) {
  let calls = 0;
  return (_: FaultInfo) => {
    calls++;
    if (calls === n) {
      fired.push(what);
      throw new Error(`injected fault: ${what}`);
    }
  };
}

describe.each(['embedded', 'postgres'] as const)('pipeline exactly-once over Kafka + %s', (backend) => {
  let t: TestStore;
  let bus: Bus;
  const tenants = [randomUUID(), randomUUID()];
  const topics = { raw: uniqueName('raw'), accepted: uniqueName('accepted'), dead: uniqueName('dead') };
  const groupId = uniqueName('store');

  beforeAll(async () => {
    [t] = await Promise.all([createTestStore(backend)]);
    bus = createBus({ kafkaBrokers: kafkaBrokers(), clientId: 'pipeline-test', partitions: 3 });
    await bus.ensureTopics([{ name: topics.raw }, { name: topics.accepted }, { name: topics.dead }]);
  });
  afterAll(async () => {
    await bus?.close();
    await t?.drop();
  });

  const registry = createRegistry();
  const start = async (faults: PipelineFaults): Promise<Pipeline> => {
    const p = createPipeline({
      bus,
      store: t.store,
      logger: silentLogger(),
      registry,
      config,
      topics,
      groupId,
      faults,
      now: () => NOW,
      maintenanceIntervalMs: 0,
    });
    await p.start();
    return p;
  };

  it('stores every event once, rollups equal to the last digit, through faults and a restart', async () => {
    const stream = buildStream({
      tenants,
      devicesPerTenant: 2,
      eventsPerDevice: 90,
      now: NOW,
      lateWindowMs: config.pipeline.lateWindowMs,
      futureSkewMs: config.pipeline.futureSkewMs,
      batchSize: BATCH,
      seed: backend === 'embedded' ? 7 : 11,
    });
    const accepted = new Map<string, number>();
    const dead: { reason: string; key: string }[] = [];
    const watch = await bus.subscribe({
      groupId: uniqueName('watch'),
      topics: [topics.accepted, topics.dead],
      durable: false,
      handler: async (batch) => {
        for (const m of batch.messages) {
          if (batch.topic === topics.accepted) {
            const e = decodeMessage(TelemetryAcceptedV1, m.value);
            accepted.set(key(e), (accepted.get(key(e)) ?? 0) + 1);
          } else {
            const d = decodeMessage(TelemetryDeadV1, m.value);
            dead.push({ reason: d.reason, key: `${d.tenantId}|${d.deviceId}|${d.eventId}` });
          }
        }
      },
    });
    await watch.ready;

    const half = Math.floor(stream.messages.length / 2);
    const fired: string[] = [];
    const seenCount = async () =>
      (await t.store.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM telemetry_seen')).rows[0]?.n;
    const expectedFirstHalf = new Set(
      stream.messages.slice(0, half).flatMap((m) => {
        try {
          const e = JSON.parse(m.value);
          return stream.stored.has(key(e)) ? [key(e)] : [];
        } catch {
          return [];
        }
      }),
    ).size;

    // first worker: crashes before the insert, mid-transaction and after COMMIT (before the offsets)
    await bus.publish(topics.raw, stream.messages.slice(0, half));
    const first = await start({
      beforeInsert: failOn(2, 'beforeInsert', fired),
      midBatch: failOn(3, 'midBatch', fired),
      afterCommit: failOn(4, 'afterCommit', fired),
    });
    await waitFor(async () => (await seenCount()) === expectedFirstHalf, {
      timeoutMs: 30_000,
      message: 'first half stored',
    });
    await first.close();

    // restart: a new worker in the same group takes over from the committed offsets
    await bus.publish(topics.raw, stream.messages.slice(half));
    const second = await start({ afterCommit: failOn(1, 'afterCommit again', fired) });
    const tooLate = () => new Set(dead.filter((d) => d.reason === 'too_late').map((d) => d.key));
    await waitFor(
      async () =>
        (await seenCount()) === stream.stored.size &&
        accepted.size === stream.stored.size &&
        tooLate().size === stream.tooLate.size &&
        dead.some((d) => d.reason === 'not_json') &&
        dead.some((d) => d.reason === 'no_event_id'),
      { timeoutMs: 30_000, message: 'everything stored and forwarded' },
    );
    await second.close();
    await watch.close();
    expect(fired).toEqual(['beforeInsert', 'midBatch', 'afterCommit', 'afterCommit again']);

    // raw rows: each event once
    const raw = await t.store.pool.query<{
      tenant_id: string;
      device_id: string;
      event_id: string;
      ts: Date;
      skewed: boolean;
    }>(
      `SELECT tenant_id, device_id, event_id, ts, skewed FROM telemetry_raw
       UNION ALL SELECT tenant_id, device_id, event_id, ts, skewed FROM device_events`,
    );
    expect(raw.rows.length).toBe(stream.stored.size);
    for (const r of raw.rows) {
      const want = stream.stored.get(key({ tenantId: r.tenant_id, deviceId: r.device_id, eventId: r.event_id }));
      expect(want, r.event_id).toBeDefined();
      expect(r.ts.getTime()).toBe(want?.ts);
      expect(r.skewed).toBe(r.event_id.endsWith('-skew'));
    }

    // rollups, to the last digit
    for (const [table, unit] of [
      ['rollup_1m', 'minute'],
      ['rollup_1h', 'hour'],
      ['rollup_1d', 'day'],
    ] as const) {
      const want = expectedRollups(stream.stored, unit);
      const { rows } = await t.store.pool.query<{
        tenant_id: string;
        device_id: string;
        metric: string;
        bucket: Date;
        count: number;
        sum: string;
        min: number;
        max: number;
        first_ts: Date;
        first_value: number;
        last_ts: Date;
        last_value: number;
      }>(`SELECT * FROM ${table}`);
      expect(rows.length, table).toBe(want.size);
      for (const r of rows) {
        const k = `${r.tenant_id}|${r.device_id}|${r.metric}|${r.bucket.toISOString()}`;
        const w = want.get(k);
        expect(w, `${table} ${k}`).toBeDefined();
        if (!w) continue;
        expect({
          k,
          count: r.count,
          sum: centsOf(r.sum),
          min: r.min,
          max: r.max,
          first: [r.first_ts.getTime(), r.first_value],
          last: [r.last_ts.getTime(), r.last_value],
        }).toEqual({
          k,
          count: w.count,
          sum: w.sumCents,
          min: w.min,
          max: w.max,
          first: w.first,
          last: w.last,
        });
      }
    }

    // device state: latest by device time, not arrival
    const state = await t.store.pool.query<{
      tenant_id: string;
      device_id: string;
      latest: Record<string, { v: number; t: number }>;
      event_count: number;
      last_ts: Date;
    }>('SELECT tenant_id, device_id, latest, event_count, last_ts FROM device_state');
    for (const s of state.rows) {
      const mine = [...stream.stored.values()].filter(
        (x) => x.event.tenantId === s.tenant_id && x.event.deviceId === s.device_id,
      );
      expect(s.event_count).toBe(mine.length);
      expect(s.last_ts.getTime()).toBe(Math.max(...mine.map((x) => x.ts)));
      const newest = mine
        .filter((x) => 'temperature' in x.event.metrics)
        .sort(
          (a, b) => b.ts - a.ts || (b.event.metrics.temperature as number) - (a.event.metrics.temperature as number),
        )[0];
      expect(s.latest.temperature).toEqual({ v: newest?.event.metrics.temperature, t: newest?.ts });
    }
    expect(state.rows.length).toBe(tenants.length * 2);

    // every first-seen event forwarded, dead letters kept
    expect(new Set(accepted.keys())).toEqual(new Set(stream.stored.keys()));
    // the afterCommit crashes lost no accepted event: the redelivered messages published theirs
    const republished = (await registry.getSingleMetric('pipeline_accepted_republished_total')?.get())?.values[0]
      ?.value;
    expect(republished).toBeGreaterThan(0);
    expect(tooLate()).toEqual(stream.tooLate);
  });
});
