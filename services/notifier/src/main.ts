import { createBus } from '@telemetry/bus';
import { loadConfig } from '@telemetry/config';
import { createHealth, createLogger, createRegistry, startOpsServer } from '@telemetry/observability';
import { stopOnSignals } from '@telemetry/runtime';
import { createStore } from '@telemetry/store';
import { createMailer, createNotifier } from './index.js';

// Composition root of the notifier: config -> logger/metrics -> adapters (store, bus, mailer) -> service.
const cfg = loadConfig(process.env);
const logger = createLogger({ name: 'notifier', level: cfg.logLevel });
const registry = createRegistry({ service: 'notifier', instance: cfg.instanceId });

const store = await createStore(cfg.store, {
  applicationName: 'notifier',
  onPoolError: (err) => logger.warn({ err }, 'pg pool error'),
});
await store.migrate();
const bus = createBus(cfg.bus, { logger });
const mailer = createMailer(cfg.mail, logger);
const notifier = createNotifier({ bus, store, logger, registry, config: cfg, mailer });
await notifier.start();
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
  service: 'notifier',
  logger,
  closers: [
    { name: 'notifier', close: () => notifier.close() },
    { name: 'mailer', close: () => mailer.close() },
    { name: 'bus', close: () => bus.close() },
    { name: 'store', close: () => store.close() },
    { name: 'ops', close: () => ops.close() },
  ],
});
