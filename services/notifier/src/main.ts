import { createBus } from '@telemetry/bus';
import { loadConfig } from '@telemetry/config';
import { createHealth, createLogger, createRegistry, startOpsServer } from '@telemetry/observability';
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
const ops = await startOpsServer({ port: cfg.metrics.port, registry, health });

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'notifier stopping');
  try {
    await notifier.close();
    await mailer.close();
    await bus.close();
    await store.close();
    await ops.close();
  } catch (err) {
    logger.error({ err }, 'notifier: error while stopping');
    process.exitCode = 1;
  }
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
