import { createBus } from '@telemetry/bus';
import { loadConfig } from '@telemetry/config';
import { createHealth, createLogger, createRegistry, startOpsServer } from '@telemetry/observability';
import { stopOnSignals } from '@telemetry/runtime';
import { createStore } from '@telemetry/store';
import { Redis } from 'ioredis';
import { createRealtime } from './index.js';

/** Composition root of the standalone gateway: `pnpm --filter @telemetry/realtime start`. */
async function main(): Promise<void> {
  const cfg = loadConfig(process.env);
  const logger = createLogger({ name: 'realtime', level: cfg.logLevel });
  const registry = createRegistry({ service: 'realtime', instance: cfg.instanceId });
  const health = createHealth();

  const bus = createBus(cfg.bus, { logger });
  const store = await createStore(cfg.store, {
    applicationName: 'realtime',
    onPoolError: (err) => logger.warn({ err }, 'store: idle connection failed'),
  });
  await store.migrate();
  const redis = cfg.redisUrl ? new Redis(cfg.redisUrl, { lazyConnect: false }) : undefined;
  redis?.on('error', (err) => logger.warn({ err }, 'redis: connection error'));

  const realtime = createRealtime({ bus, store, logger, registry, config: cfg, redis });
  health.addReadiness('bus', () => bus.healthy());
  health.addReadiness('realtime', () => realtime.ready());
  if (redis) health.addReadiness('redis', () => redis.status === 'ready');
  const ops = await startOpsServer({
    registry: registry,
    health,
    port: cfg.metrics.port,
    host: cfg.metrics.host,
    token: cfg.metrics.token,
  });
  await realtime.start();
  logger.info({ port: realtime.port(), metricsPort: ops.port }, 'realtime: listening');

  stopOnSignals({
    service: 'realtime',
    logger,
    closers: [
      { name: 'realtime', close: () => realtime.close() },
      { name: 'ops', close: () => ops.close() },
      { name: 'redis', close: () => redis?.quit() },
      { name: 'bus', close: () => bus.close() },
      { name: 'store', close: () => store.close() },
    ],
  });
}

main().catch((err) => {
  // eslint-disable-next-line no-console
  console.error(err);
  process.exit(1);
});
