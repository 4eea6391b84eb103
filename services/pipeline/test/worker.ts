/**
 * A pipeline worker process for tests that kill it: main.ts's composition with the test's own
 * topics (PIPELINE_TEST_TOPICS = "raw,accepted,dead") and group (PIPELINE_TEST_GROUP), so it
 * never consumes the shared broker's real topics. Prints "pipeline worker ready" once it holds
 * partitions.
 */
import { createBus } from '@telemetry/bus';
import { loadConfig } from '@telemetry/config';
import { createLogger, createRegistry } from '@telemetry/observability';
import { createStore } from '@telemetry/store';
import { createPipeline } from '../src/index.js';

const cfg = loadConfig(process.env);
const logger = createLogger({ name: 'pipeline-worker', level: cfg.logLevel });
const [raw, accepted, dead] = (process.env.PIPELINE_TEST_TOPICS ?? '').split(',');
if (!raw || !accepted || !dead) throw new Error('PIPELINE_TEST_TOPICS=raw,accepted,dead is required');
const store = await createStore(cfg.store, { applicationName: 'pipeline-worker' });
const bus = createBus(cfg.bus, { logger });
const pipeline = createPipeline({
  bus,
  store,
  logger,
  registry: createRegistry(),
  config: cfg,
  topics: { raw, accepted, dead },
  groupId: process.env.PIPELINE_TEST_GROUP ?? 'store-test',
  maintenanceIntervalMs: 0,
});
await pipeline.start();
console.log('pipeline worker ready');
