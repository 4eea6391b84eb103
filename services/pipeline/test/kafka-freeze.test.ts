import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type Bus, createBus } from '@telemetry/bus';
import { loadConfig } from '@telemetry/config';
import { createRegistry, silentLogger } from '@telemetry/observability';
import { checkStored, createTestStore, freePort, type TestStore, uniqueName, waitFor } from '@telemetry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPipeline, type Pipeline } from '../src/index.js';
import { raw } from './stream.js';

/**
 * #15: after Kafka came back from an outage, storage resumed only after 28 s. This file starts a
 * broker of its own (infra/kafka/kafka.sh on a free port; the run's shared broker is never
 * touched), freezes it (SIGSTOP) for longer than the consumer session while events are being
 * published, and measures how long after SIGCONT the pipeline stores again. Oracle: every
 * acknowledged event stored once, rollups equal a recomputation.
 */
const run = promisify(execFile);
const kafkaSh = fileURLToPath(new URL('../../../infra/kafka/kafka.sh', import.meta.url));
const FREEZE_MS = Number(
  process.env.RESILIENCE_KAFKA_FREEZE_MS ?? (process.env.RESILIENCE_SOAK === '1' ? 120_000 : 12_000),
);

let port: number;
let env: NodeJS.ProcessEnv;
let db: TestStore;
let bus: Bus;
let pipeline: Pipeline | undefined;

beforeAll(async () => {
  port = await freePort();
  env = { ...process.env, KAFKA_PORT: String(port), KAFKA_OWNER_PID: String(process.pid) };
  await run('bash', [kafkaSh, 'start'], { env, timeout: 180_000 });
  db = await createTestStore('postgres');
  bus = createBus({ kafkaBrokers: [`127.0.0.1:${port}`], clientId: uniqueName('freeze'), partitions: 3 });
});
afterAll(async () => {
  await pipeline?.close();
  await bus?.close();
  await db?.drop();
  if (env) await run('bash', [kafkaSh, 'stop'], { env, timeout: 60_000 }).catch(() => undefined);
});

describe('Kafka frozen, then back', () => {
  it(
    'stores again within seconds of the broker’s return, nothing lost or doubled',
    async () => {
      const pid = Number(
        readFileSync(fileURLToPath(new URL(`../../../infra/kafka/.cache/kafka-${port}.pid`, import.meta.url)), 'utf8'),
      );
      const tenantId = randomUUID();
      const topics = { raw: uniqueName('raw'), accepted: uniqueName('accepted'), dead: uniqueName('dead') };
      await bus.ensureTopics([{ name: topics.raw }, { name: topics.accepted }, { name: topics.dead }]);
      pipeline = createPipeline({
        bus,
        store: db.store,
        logger: silentLogger(),
        registry: createRegistry(),
        config: loadConfig({}),
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
          const events = Array.from({ length: 10 }, (_, d) =>
            raw(tenantId, `dev-${d}`, `e-${d}-${n}`, now, now, { v: d + n / 100 }),
          );
          // resolves once Kafka acknowledged (acks=all): only then is an event "acknowledged"
          await bus.publish(
            topics.raw,
            events.map((e) => ({ key: e.deviceId, value: JSON.stringify(e) })),
          );
          for (const e of events) acked.push(e.eventId);
          await new Promise((r) => setTimeout(r, 50));
        }
      })();
      const stored = async () =>
        (
          await db.store.pool.query<{ n: number }>(
            'SELECT count(*)::int AS n FROM telemetry_raw WHERE tenant_id = $1',
            [tenantId],
          )
        ).rows[0]?.n ?? 0;
      await waitFor(async () => (await stored()) > 0, { timeoutMs: 30_000, message: 'storing before the freeze' });

      process.kill(pid, 'SIGSTOP');
      let resumedAt = 0;
      try {
        await new Promise((r) => setTimeout(r, FREEZE_MS));
      } finally {
        process.kill(pid, 'SIGCONT');
        resumedAt = Date.now();
      }
      const atResume = await stored();
      await waitFor(async () => (await stored()) > atResume, {
        timeoutMs: 60_000,
        intervalMs: 100,
        message: 'storing again',
      });
      const firstStoredMs = Date.now() - resumedAt;
      await new Promise((r) => setTimeout(r, 2_000));
      publishing = false;
      await publisher;
      await waitFor(async () => (await checkStored(db.store.pool, tenantId, acked)).missing.length === 0, {
        timeoutMs: 60_000,
        intervalMs: 100,
        message: 'every acknowledged event stored',
      });
      const caughtUpMs = Date.now() - resumedAt;
      const report = await checkStored(db.store.pool, tenantId, acked);
      console.log(
        `[resilience] Kafka frozen ${FREEZE_MS} ms: storing again ${firstStoredMs} ms after SIGCONT, all ${acked.length} ` +
          `acknowledged events stored ${caughtUpMs} ms after; ${report.missing.length} missing, ${report.duplicated.length} doubled, ` +
          `${report.rollupMismatches.length} rollup mismatches`,
      );
      expect(report).toEqual({ missing: [], duplicated: [], rollupMismatches: [] });
    },
    FREEZE_MS + 240_000,
  );
});
