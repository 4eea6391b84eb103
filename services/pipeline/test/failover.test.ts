import { randomUUID } from 'node:crypto';
import { type Bus, createBus } from '@telemetry/bus';
import { loadConfig } from '@telemetry/config';
import { createRegistry, silentLogger } from '@telemetry/observability';
import {
  checkStored,
  createTestStore,
  kafkaBrokers,
  type Proc,
  startProcess,
  type TestStore,
  uniqueName,
  waitFor,
} from '@telemetry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPipeline, type Pipeline } from '../src/index.js';
import { raw } from './stream.js';

/**
 * #15: a dead pipeline worker stalled its partitions ~30 s (kafkajs's default session timeout).
 * Two workers share the group: one is a child process, SIGKILLed while devices keep publishing;
 * its partitions must be consumed by the survivor within 10 s (consumer timings in
 * packages/bus/src/kafka/subscriber.ts). Oracle: every acknowledged event stored once, rollups
 * equal a recomputation.
 */
const WORKER = new URL('./worker.ts', import.meta.url).pathname;
const DEVICES = 12;

let db: TestStore;
let bus: Bus;
let survivor: Pipeline | undefined;
let child: Proc | undefined;

beforeAll(async () => {
  db = await createTestStore('postgres');
  bus = createBus({ kafkaBrokers: kafkaBrokers(), clientId: uniqueName('failover'), partitions: 4 });
});
afterAll(async () => {
  await child?.stop('SIGKILL').catch(() => undefined);
  await survivor?.close();
  await bus?.close();
  await db?.drop();
});

describe('pipeline worker killed', () => {
  it('moves its partitions to the surviving worker within 10 s, losing and doubling nothing', async () => {
    const tenantId = randomUUID();
    const topics = { raw: uniqueName('raw'), accepted: uniqueName('accepted'), dead: uniqueName('dead') };
    const groupId = uniqueName('store');
    await bus.ensureTopics([{ name: topics.raw }, { name: topics.accepted }, { name: topics.dead }]);
    child = startProcess('pipeline-1', WORKER, {
      DATABASE_URL: db.url,
      KAFKA_BROKERS: kafkaBrokers().join(','),
      PIPELINE_TEST_TOPICS: `${topics.raw},${topics.accepted},${topics.dead}`,
      PIPELINE_TEST_GROUP: groupId,
      LOG_LEVEL: 'warn',
    });
    await child.waitForOutput(/pipeline worker ready/);
    survivor = createPipeline({
      bus,
      store: db.store,
      logger: silentLogger(),
      registry: createRegistry(),
      config: loadConfig({}),
      topics,
      groupId,
      maintenanceIntervalMs: 0,
    });
    await survivor.start();

    const acked: string[] = [];
    const publishedAt = new Map<string, number>();
    let seq = 0;
    const round = async () => {
      const now = Date.now();
      const n = seq++;
      const events = Array.from({ length: DEVICES }, (_, d) =>
        raw(tenantId, `dev-${d}`, `e-${d}-${n}`, now, now, { level: (n % 100) + d / 100 }),
      );
      await bus.publish(
        topics.raw,
        events.map((e) => ({ key: e.deviceId, value: JSON.stringify(e) })),
      );
      for (const e of events) {
        acked.push(e.eventId);
        publishedAt.set(e.eventId, now);
      }
    };
    // both members hold partitions and store: every device's first event is stored
    await round();
    await waitFor(async () => (await checkStored(db.store.pool, tenantId, acked)).missing.length === 0, {
      timeoutMs: 30_000,
      message: 'both workers storing',
    });

    let publishing = true;
    const publisher = (async () => {
      while (publishing) {
        await round();
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    await new Promise((r) => setTimeout(r, 2_000));
    const killedAt = Date.now();
    await child.stop('SIGKILL');

    // failover: every device has an event published after the kill stored
    const afterKill = async () => {
      const { rows } = await db.store.pool.query<{ device_id: string }>(
        `SELECT DISTINCT device_id FROM telemetry_raw WHERE tenant_id = $1 AND received_at > $2`,
        [tenantId, new Date(killedAt)],
      );
      return rows.length === DEVICES;
    };
    await waitFor(afterKill, {
      timeoutMs: 30_000,
      intervalMs: 100,
      message: 'every device stored again after the kill',
    });
    const failoverMs = Date.now() - killedAt;
    publishing = false;
    await publisher;

    await waitFor(async () => (await checkStored(db.store.pool, tenantId, acked)).missing.length === 0, {
      timeoutMs: 30_000,
      message: 'every acknowledged event stored',
    });
    const report = await checkStored(db.store.pool, tenantId, acked);
    console.log(
      `[resilience] pipeline failover: worker SIGKILLed, its partitions consumed again after ${failoverMs} ms; ` +
        `${acked.length} acknowledged events, ${report.missing.length} missing, ${report.duplicated.length} doubled, ` +
        `${report.rollupMismatches.length} rollup mismatches`,
    );
    expect(report).toEqual({ missing: [], duplicated: [], rollupMismatches: [] });
    expect(failoverMs).toBeLessThan(10_000);
  }, 120_000);
});
