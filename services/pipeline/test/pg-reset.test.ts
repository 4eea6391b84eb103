import { randomUUID } from 'node:crypto';
import { type Bus, createBus } from '@telemetry/bus';
import { loadConfig } from '@telemetry/config';
import { createRegistry, silentLogger } from '@telemetry/observability';
import { createStore, type Store } from '@telemetry/store';
import { checkStored, createTestStore, kafkaBrokers, type TestStore, uniqueName, waitFor } from '@telemetry/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPipeline, type Pipeline } from '../src/index.js';
import { raw } from './stream.js';

/**
 * #15: the pipeline process exited when PostgreSQL reset a connection mid-transaction (no 'error'
 * listener on the checked-out client; 2 of 12 cuts), and storage stopped for good. Here the
 * worker's backends are terminated (pg_terminate_backend from another connection) again and
 * again while events flow over Kafka: the worker lives on (an unhandled 'error' fails the vitest
 * run), redelivers, and the oracle holds — every acknowledged event stored once, rollups equal a
 * recomputation.
 */
// RESILIENCE_SOAK=1: the long version (many more cuts)
const CUTS = process.env.RESILIENCE_SOAK === '1' ? 400 : 12;
let db: TestStore;
let store: Store;
let bus: Bus;
let pipeline: Pipeline | undefined;
let admin: pg.Client;
const appName = uniqueName('pipeline-reset');

beforeAll(async () => {
  db = await createTestStore('postgres');
  store = await createStore(
    { databaseUrl: db.url, dataDir: 'memory://', port: 0, poolSize: 4 },
    { applicationName: appName },
  );
  bus = createBus({ kafkaBrokers: kafkaBrokers(), clientId: uniqueName('pg-reset'), partitions: 3 });
  admin = new pg.Client({ connectionString: db.url });
  await admin.connect();
});
afterAll(async () => {
  await pipeline?.close();
  await admin?.end();
  await bus?.close();
  await store?.close();
  await db?.drop();
});

describe('PostgreSQL resets the pipeline’s connections mid-transaction', () => {
  it(
    'keeps the worker alive and stores every acknowledged event exactly once',
    async () => {
      const tenantId = randomUUID();
      const topics = { raw: uniqueName('raw'), accepted: uniqueName('accepted'), dead: uniqueName('dead') };
      await bus.ensureTopics([{ name: topics.raw }, { name: topics.accepted }, { name: topics.dead }]);
      pipeline = createPipeline({
        bus,
        store,
        logger: silentLogger(),
        registry: createRegistry(),
        config: loadConfig({ PIPELINE_BATCH_SIZE: '50' }),
        topics,
        groupId: uniqueName('store'),
        maintenanceIntervalMs: 0,
      });
      await pipeline.start();

      const acked: string[] = [];
      let seq = 0;
      let publishing = true;
      const publisher = (async () => {
        while (publishing) {
          const now = Date.now();
          const n = seq++;
          const events = Array.from({ length: 30 }, (_, d) =>
            raw(tenantId, `dev-${d}`, `e-${d}-${n}`, now, now, { v: (n % 50) + d / 100 }),
          );
          await bus.publish(
            topics.raw,
            events.map((e) => ({ key: e.deviceId, value: JSON.stringify(e) })),
          );
          for (const e of events) acked.push(e.eventId);
          await new Promise((r) => setTimeout(r, 20));
        }
      })();

      let terminated = 0;
      for (let i = 0; i < CUTS; i++) {
        await new Promise((r) => setTimeout(r, 250));
        const { rows } = await admin.query<{ ok: boolean }>(
          `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()`,
          [appName],
        );
        terminated += rows.filter((r) => r.ok).length;
      }
      const lastCut = Date.now();
      publishing = false;
      await publisher;
      await waitFor(async () => (await checkStored(db.store.pool, tenantId, acked)).missing.length === 0, {
        timeoutMs: 60_000,
        intervalMs: 100,
        message: 'every acknowledged event stored after the cuts',
      });
      const recoveredMs = Date.now() - lastCut;
      const report = await checkStored(db.store.pool, tenantId, acked);
      console.log(
        `[resilience] pipeline vs pg_terminate_backend: ${CUTS} rounds, ${terminated} backends terminated, ` +
          `${acked.length} acknowledged events; all stored ${recoveredMs} ms after the last cut; ` +
          `${report.missing.length} missing, ${report.duplicated.length} doubled, ${report.rollupMismatches.length} rollup mismatches`,
      );
      expect(terminated).toBeGreaterThan(0);
      expect(report).toEqual({ missing: [], duplicated: [], rollupMismatches: [] });
    },
    CUTS * 300 + 120_000,
  );
});
