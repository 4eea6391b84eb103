import { createBus } from '@telemetry/bus';
import { loadConfig } from '@telemetry/config';
import { createHealth, createLogger, createRegistry, startOpsServer } from '@telemetry/observability';
import { stopOnSignals } from '@telemetry/runtime';
import { createStore } from '@telemetry/store';
import { createRules } from './index.js';

// Composition root of the rules worker: config -> logger/metrics -> adapters -> service.
const cfg = loadConfig(process.env);
const logger = createLogger({ name: 'rules', level: cfg.logLevel });
const registry = createRegistry({ service: 'rules', instance: cfg.instanceId });

const store = await createStore(cfg.store, {
  applicationName: 'rules',
  onPoolError: (err) => logger.warn({ err }, 'pg pool error'),
});
await store.migrate();
const bus = createBus(cfg.bus, { logger });
const rules = createRules({ bus, store, logger, registry, config: cfg });
await rules.start();
const health = createHealth();
health.addReadiness('bus', () => bus.healthy());
health.addReadiness('store', async () => (await store.pool.query('SELECT 1')).rowCount === 1);
const ops = await startOpsServer({
  registry: registry,
  health,
  port: cfg.metrics.port,
  host: cfg.metrics.host,
  token: cfg.metrics.token,
});

stopOnSignals({
  service: 'rules',
  logger,
  closers: [
    { name: 'rules', close: () => rules.close() },
    { name: 'bus', close: () => bus.close() },
    { name: 'store', close: () => store.close() },
    { name: 'ops', close: () => ops.close() },
  ],
});
