import { type Bus, createBus } from '@telemetry/bus';
import { loadConfig } from '@telemetry/config';
import { AlertV1, decodeMessage } from '@telemetry/contracts';
import { createLogger, createRegistry, silentLogger } from '@telemetry/observability';
import { createStore, type Store } from '@telemetry/store';
import { createTestStore, kafkaBrokers, type TestStore, uniqueName, waitFor } from '@telemetry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRules, presetRule, type RulesService } from '../src/index.js';
import { insertRule, publishAccepted, seedWorld } from './fixtures.js';

/**
 * #15: a PostgreSQL reset mid-transaction must not end the rules worker, and must not lose or
 * double an alert. Its backends are terminated (pg_terminate_backend from another connection)
 * again and again while a device goes low and back many times over Kafka: the worker lives on
 * (an unhandled 'error' fails the vitest run), redelivers, and opens exactly one alert per episode.
 */
// RESILIENCE_SOAK=1: the long version
const SOAK = process.env.RESILIENCE_SOAK === '1';
const EPISODES = SOAK ? 300 : 30;
const CUTS = SOAK ? 120 : 12;
let db: TestStore;
let store: Store;
let bus: Bus;
let rules: RulesService | undefined;
const appName = uniqueName('rules-reset');

beforeAll(async () => {
  db = await createTestStore('postgres');
  store = await createStore(
    { databaseUrl: db.url, dataDir: 'memory://', port: 0, poolSize: 4 },
    { applicationName: appName },
  );
  bus = createBus({ kafkaBrokers: kafkaBrokers(), clientId: uniqueName('rules-reset'), partitions: 2 });
});
afterAll(async () => {
  await rules?.close();
  await bus?.close();
  await store?.close();
  await db?.drop();
});

describe('PostgreSQL resets the rules worker’s connections mid-transaction', () => {
  it(
    'keeps the worker alive and opens exactly one alert per episode',
    async () => {
      const world = await seedWorld(store.pool);
      const ruleId = await insertRule(
        store.pool,
        world.tenantId,
        presetRule('low_level', { deviceId: world.deviceId }),
      );
      const topics = {
        accepted: uniqueName('accepted'),
        presence: uniqueName('presence'),
        alerts: uniqueName('alerts'),
        tasks: uniqueName('tasks'),
      };
      await bus.ensureTopics(Object.values(topics).map((name) => ({ name })));
      const opened = new Set<string>();
      const observer = await bus.subscribe({
        groupId: uniqueName('observer'),
        topics: [topics.alerts],
        handler: async (batch) => {
          for (const m of batch.messages) {
            const a = decodeMessage(AlertV1, m.value);
            if (a.change === 'opened') opened.add(a.alertId);
          }
        },
      });
      await observer.ready;
      // the test's own connections (another application_name) do the cutting and the checking
      const admin = db.store.pool;
      rules = createRules({
        bus,
        store,
        logger: process.env.DEBUG_RULES ? createLogger({ level: 'info', name: 'rules' }) : silentLogger(),
        registry: createRegistry(),
        config: loadConfig({}),
        topics,
        groupId: uniqueName('rules'),
      });
      await rules.start();

      // each episode: the level drops below 15 (opens), then a refill past 20 (resolves)
      const t0 = Date.now() - EPISODES * 10_000;
      let lastTs = t0;
      // the cuts come while the episodes are published, then stop: the worker must catch up alone
      let terminated = 0;
      const killer = (async () => {
        for (let i = 0; i < CUTS; i++) {
          await new Promise((r) => setTimeout(r, 250));
          const { rows } = await admin.query<{ ok: boolean }>(
            `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()`,
            [appName],
          );
          terminated += rows.filter((r) => r.ok).length;
        }
      })();
      for (let e = 0; e < EPISODES; e++) {
        const low = t0 + e * 10_000;
        lastTs = low + 5_000;
        await publishAccepted(bus, topics.accepted, world, [
          { eventId: `low-${e}`, ts: low, metrics: { level: 5 } },
          { eventId: `refill-${e}`, ts: lastTs, metrics: { level: 90 } },
        ]);
        await new Promise((r) => setTimeout(r, 100));
      }
      await killer;
      const lastPublish = Date.now();
      const state = async () =>
        (
          await admin.query<{ last_ts: Date | null }>('SELECT last_ts FROM rule_state WHERE rule_id = $1', [ruleId])
        ).rows[0]?.last_ts?.getTime();
      await waitFor(async () => (await state()) === lastTs, {
        timeoutMs: 60_000,
        intervalMs: 200,
        message: 'the worker caught up with the last reading after the cuts',
      });
      const caughtUpMs = Date.now() - lastPublish;

      const { rows } = await admin.query<{ opened_at: Date; state: string; n: number }>(
        `SELECT opened_at, state, count(*) OVER (PARTITION BY opened_at)::int AS n
         FROM alerts WHERE rule_id = $1 ORDER BY opened_at`,
        [ruleId],
      );
      await waitFor(() => opened.size >= EPISODES, { timeoutMs: 30_000, message: 'every alert published' });
      console.log(
        `[resilience] rules vs pg_terminate_backend: ${CUTS} rounds, ${terminated} backends terminated over ${EPISODES} episodes; ` +
          `caught up ${caughtUpMs} ms after the last cut; ${rows.length} alerts, ${opened.size} opened on alerts.v1`,
      );
      expect(terminated).toBeGreaterThan(0);
      expect(rows).toHaveLength(EPISODES);
      expect(rows.every((r) => r.n === 1 && r.state === 'resolved')).toBe(true);
      expect(rows.map((r) => r.opened_at.getTime())).toEqual(
        Array.from({ length: EPISODES }, (_, e) => t0 + e * 10_000),
      );
      expect(opened.size).toBe(EPISODES);
    },
    EPISODES * 1_000 + 150_000,
  );
});
