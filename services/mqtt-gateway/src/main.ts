import { createBus } from '@telemetry/bus';
import { createCommandStore, createShadowStore } from '@telemetry/commands';
import { loadConfig } from '@telemetry/config';
import { createFirmwareReports } from '@telemetry/firmware';
import {
  createHealth,
  createLogger,
  createRegistry as createMetricsRegistry,
  startOpsServer,
} from '@telemetry/observability';
import { createDeviceRegistry } from '@telemetry/registry';
import { stopOnSignals } from '@telemetry/runtime';
import { createStore } from '@telemetry/store';
import { createGateway } from './index.js';
import { gatewayOptions } from './options.js';

// The composition root: config -> logger/metrics -> adapters -> gateway -> start; close in reverse.
const cfg = loadConfig(process.env);
const logger = createLogger({ name: 'mqtt-gateway', level: cfg.logLevel });
const metrics = createMetricsRegistry({ service: 'mqtt-gateway', instance: cfg.instanceId });
const health = createHealth();

const bus = createBus(cfg.bus, { logger: logger.child({ component: 'bus' }) });
const store = await createStore(cfg.store, {
  applicationName: 'mqtt-gateway',
  onPoolError: (err) => logger.warn({ err }, 'store connection lost'),
});
await store.migrate();
const registry = createDeviceRegistry({ pool: store.pool, tokenGraceMs: cfg.devices.tokenGraceMs });
const gateway = createGateway({
  bus,
  registry,
  logger,
  metrics,
  gatewayId: cfg.instanceId,
  // REDIS_URL: this process is one instance of a clustered broker (docker-compose runs 2 replicas).
  // Not in gatewayOptions(): the all-in-one stack is one process, one broker, in memory.
  options: { ...gatewayOptions(cfg), redisUrl: cfg.redisUrl },
  commands: createCommandStore(store.pool),
  shadows: createShadowStore(store.pool),
  firmware: createFirmwareReports(store.pool),
});
health.addReadiness('mqtt', () => gateway.ready());
health.addReadiness('store', async () => (await store.pool.query('SELECT 1')).rowCount === 1);

// The ops server first: while the gateway waits for an engine (Redis), /readyz says so.
const ops = await startOpsServer({
  registry: metrics,
  health,
  port: cfg.metrics.port,
  host: cfg.metrics.host,
  token: cfg.metrics.token,
});
await gateway.start();
logger.info({ ops: ops.port }, 'mqtt-gateway started');

stopOnSignals({
  service: 'mqtt-gateway',
  logger,
  closers: [
    { name: 'gateway', close: () => gateway.close() },
    { name: 'ops', close: () => ops.close() },
    { name: 'bus', close: () => bus.close() },
    { name: 'store', close: () => store.close() },
  ],
});
