import { createBus } from '@telemetry/bus';
import { loadConfig } from '@telemetry/config';
import { createHealth, createLogger, createRegistry, startOpsServer } from '@telemetry/observability';
import { stopOnSignals } from '@telemetry/runtime';
import { createStore } from '@telemetry/store';
import { createPipeline, createRejections } from './index.js';

// Composition root of the pipeline worker: config -> logger/metrics -> adapters -> service.
const cfg = loadConfig(process.env);
const logger = createLogger({ name: 'pipeline', level: cfg.logLevel });
const registry = createRegistry({ service: 'pipeline', instance: cfg.instanceId });

const store = await createStore(cfg.store, {
  applicationName: 'pipeline',
  onPoolError: (err) => logger.warn({ err }, 'pg pool error'),
});
await store.migrate();
const bus = createBus(cfg.bus, { logger });
const pipeline = createPipeline({ bus, store, logger, registry, config: cfg });
await pipeline.start();
// Its own consumer group on telemetry.dead.v1: every rejection kept for the API and dashboard (#14).
const rejections = createRejections({ bus, store, logger, registry });
await rejections.start();
const health = createHealth();
health.addReadiness('bus', () => bus.healthy());
health.addReadiness('store', async () => (await store.pool.query('SELECT 1')).rowCount === 1);
health.addDetail('maintenance', () => pipeline.maintenanceHealth());
const ops = await startOpsServer({
  registry: registry,
  health,
  port: cfg.metrics.port,
  host: cfg.metrics.host,
  token: cfg.metrics.token,
});
logger.info({ metricsPort: ops.port, store: store.kind, timescale: store.capabilities.timescale }, 'pipeline ready');

stopOnSignals({
  service: 'pipeline',
  logger,
  closers: [
    { name: 'rejections', close: () => rejections.close() },
    { name: 'pipeline', close: () => pipeline.close() },
    { name: 'bus', close: () => bus.close() },
    { name: 'store', close: () => store.close() },
    { name: 'ops', close: () => ops.close() },
  ],
});
