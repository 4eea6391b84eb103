import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { createApi, createApiServer, resolveJwtSecret } from '@telemetry/api';
import { type Bus, createBus } from '@telemetry/bus';
import { createCommandStore, createShadowStore } from '@telemetry/commands';
import type { Config } from '@telemetry/config';
import { dashboardDir } from '@telemetry/dashboard';
import { createFirmwareReports } from '@telemetry/firmware';
import { createGateway, gatewayOptions } from '@telemetry/mqtt-gateway';
import { createNotifier } from '@telemetry/notifier';
import { createHealth, createRegistry as createMetrics, type Logger, startOpsServer } from '@telemetry/observability';
import { createPipeline, createRejections } from '@telemetry/pipeline';
import { createRealtime } from '@telemetry/realtime';
import { createDeviceRegistry } from '@telemetry/registry';
import { createRules } from '@telemetry/rules';
import { createFleet, type Fleet } from '@telemetry/simulator';
import type { Store } from '@telemetry/store';
import { type FirstRun, prepareFirstRun, registerDemoFleet } from './first-run.js';
import { openStackStore } from './open-store.js';
import { assertPortsFree, stackPorts } from './ports.js';

/** MAC namespace of the demo fleet (simulator/src/identity.ts); other fleets use other namespaces. */
const DEMO_MAC_NAMESPACE = 0x5d;

export interface StackOptions {
  config: Config;
  logger: Logger;
  /** The dashboard build to serve; default services/dashboard/dist when it was built. */
  staticDir?: string;
  /** Told when each start-up step is done, with its duration (the CLI prints them as progress). */
  onStep?: (step: string, ms: number) => void;
  /**
   * The store, already opening (`openStackStore`, open-store.ts): the CLI starts the database's thread before it
   * loads the services' code, so the two overlap (#23). Default: opened here.
   */
  store?: Promise<Store>;
}

export interface RunningStack {
  /** `metrics`: Prometheus text of every service in this process (METRICS_PORT). */
  urls: { http: string; mqtt: string; mqttWs: string | null; metrics: string };
  /** Created by this start (first run only): shown once. */
  firstRun: FirstRun;
  storeKind: string;
  timescale: boolean;
  busKind: string;
  mailTo: string;
  simulatedDevices: number;
  /** The embedded store's read-only SQL access (STORE_SQL=true). */
  sqlAccess?: { socketDir?: string; host: string; port?: number; passwordFile: string };
  /** The one store every service shares (tests seed large fixtures through it in one statement). */
  store: Store;
  close(): Promise<void>;
}

/** A closer that hangs must not keep the rest (the store last of all) from closing. */
const CLOSE_STEP_MS = 3_000;

/**
 * The all-in-one process: every service's factory over one store, one bus and one http server
 * (API + dashboard + Socket.IO), the MQTT gateway, and optionally a small simulated fleet.
 * Close runs in reverse: devices and edges first, so nothing acknowledged is left half-processed.
 */
export async function runStack({
  config: base,
  logger,
  staticDir,
  onStep,
  store: opening,
}: StackOptions): Promise<RunningStack> {
  let mark = performance.now();
  const step = (name: string) => {
    const now = performance.now();
    onStep?.(name, now - mark);
    mark = now;
  };
  try {
    await assertPortsFree(stackPorts(base));
  } catch (err) {
    // a store opened ahead must not keep the process alive (its thread) after the refusal
    await opening?.then((s) => s.close()).catch(() => undefined);
    throw err;
  }
  const closers: (() => Promise<unknown>)[] = [];
  const closeAll = async () => {
    for (const close of closers.reverse()) {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => {
        timer = setTimeout(() => resolve('late'), CLOSE_STEP_MS);
      });
      try {
        if ((await Promise.race([close(), late])) === 'late') {
          logger.warn({ afterMs: CLOSE_STEP_MS }, 'a component did not stop in time; stopping the others');
        }
      } catch (err) {
        logger.error({ err }, 'error while stopping');
      } finally {
        clearTimeout(timer);
      }
    }
    closers.length = 0;
  };

  try {
    const metrics = createMetrics({ service: 'stack', instance: base.instanceId });
    const store: Store = await (opening ?? openStackStore(base, logger));
    step('database open');
    closers.push(() => store.close());
    await store.migrate();
    step('database migrated');
    // one secret for the API that signs and the realtime gateway that verifies
    const config: Config = { ...base, auth: { ...base.auth, jwtSecret: resolveJwtSecret(base, logger) } };

    const bus: Bus = createBus(config.bus, { logger: logger.child({ component: 'bus' }) });
    closers.push(() => bus.close());

    // demo data only when asked (DEMO_DATA; default on in development only, never in production) (#20)
    const firstRun = await prepareFirstRun(store, { seedDemo: config.security.demoData });
    step('accounts ready');
    const deps = { bus, store, registry: metrics, config };
    let gatewayReady = () => false;
    let maintenanceDetail: (() => Record<string, unknown>) | undefined;
    // Consumers start before their producers and stop after them (closers run in reverse), so a
    // publish on the in-process bus never waits on a consumer group that is already gone.
    const dashboard = staticDir ?? (existsSync(join(dashboardDir, 'index.html')) ? dashboardDir : undefined);
    const api = createApi({
      ...deps,
      logger,
      staticDir: dashboard,
      ready: () => gatewayReady(),
      readinessDetail: () => maintenanceDetail?.() ?? {},
    });
    // HTTPS when TLS_CERT_FILE/TLS_KEY_FILE are set (reloaded on change), limits either way (#20)
    const web = createApiServer(api.app, config, logger);
    const server: Server = web.server;
    closers.push(async () => web.stop());
    const realtime = createRealtime({ ...deps, logger, httpServer: server });
    await realtime.start();
    closers.push(() => realtime.close());
    const notifier = createNotifier({ ...deps, logger });
    await notifier.start();
    closers.push(() => notifier.close());
    const rules = createRules({ ...deps, logger });
    await rules.start();
    closers.push(() => rules.close());
    // every dead letter kept for the API and the dashboard (#14); before the pipeline, which produces some
    const rejections = createRejections({ bus, store, logger, registry: metrics });
    await rejections.start();
    closers.push(() => rejections.close());
    const pipeline = createPipeline({ ...deps, logger });
    maintenanceDetail = () => ({ maintenance: pipeline.maintenanceHealth() });
    await pipeline.start();
    step('workers running (pipeline, rules, notifier, realtime)');
    closers.push(() => pipeline.close());
    closers.push(() => api.close());
    await listen(server, config.http.port, config.http.host);
    step('API and dashboard listening');
    closers.push(
      () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
        }),
    );
    const httpPort = (server.address() as { port: number }).port;

    const deviceRegistry = createDeviceRegistry({ pool: store.pool, tokenGraceMs: config.devices.tokenGraceMs });
    const gateway = createGateway({
      bus,
      registry: deviceRegistry,
      logger,
      metrics,
      gatewayId: config.instanceId,
      // REDIS_URL: this broker joins the others on that Redis (sessions, commands and wills shared)
      options: { ...gatewayOptions(config), redisUrl: config.redisUrl },
      commands: createCommandStore(store.pool),
      shadows: createShadowStore(store.pool),
      firmware: createFirmwareReports(store.pool),
    });
    const mqtt = await gateway.start();
    step('MQTT gateway listening');
    gatewayReady = () => gateway.ready();
    closers.push(() => gateway.close());

    // Prometheus on METRICS_PORT, as each service's ops server in the distributed deployment: one
    // registry holds the series of every service of this process (#14: it was not started at all).
    const health = createHealth();
    health.addReadiness('mqtt', () => gateway.ready());
    health.addReadiness('store', async () => (await store.pool.query('SELECT 1')).rowCount === 1);
    const ops = await startOpsServer({
      registry: metrics,
      health,
      port: config.metrics.port,
      host: config.metrics.host,
      token: config.metrics.token,
    });
    step('metrics listening');
    closers.push(() => ops.close());

    const local = (host: string) => (host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host);
    const urls = {
      http: `${web.secure ? 'https' : 'http'}://${local(config.http.host)}:${httpPort}`,
      mqtt: `mqtt://${local(config.mqtt.host)}:${mqtt.port}`,
      mqttWs: mqtt.wsPort > 0 ? `ws://${local(config.mqtt.host)}:${mqtt.wsPort}` : null,
      metrics: `http://${local(config.metrics.host)}:${ops.port}/metrics`,
    };

    let simulatedDevices = 0;
    if (config.simulate.enabled && config.security.demoData && firstRun.tenantId !== null) {
      // the demo fleet is a convenience: the pipeline keeps running without it
      try {
        const fleet = await startDemoFleet({
          config,
          store,
          registry: deviceRegistry,
          tenantId: firstRun.tenantId,
          urls,
          logger,
        });
        closers.push(() => fleet.stop());
        simulatedDevices = config.simulate.devices;
      } catch (err) {
        logger.error({ err }, 'the simulated demo fleet did not start; the stack runs without it');
      }
    }

    return {
      urls,
      firstRun,
      storeKind:
        store.kind === 'embedded'
          ? 'embedded TimescaleDB (PGlite)'
          : `PostgreSQL${store.capabilities.timescale ? ' + TimescaleDB' : ''}`,
      timescale: store.capabilities.timescale,
      busKind: bus.kind === 'kafka' ? `Kafka (${config.bus.kafkaBrokers.join(',')})` : 'in-process bus',
      mailTo: config.mail.smtpUrl
        ? `SMTP ${new URL(config.mail.smtpUrl).host}`
        : `outbox folder ${config.mail.outboxDir}`,
      simulatedDevices,
      sqlAccess: store.sqlAccess,
      store,
      close: closeAll,
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

async function startDemoFleet(opts: {
  config: Config;
  store: Store;
  registry: ReturnType<typeof createDeviceRegistry>;
  tenantId: string;
  urls: { http: string; mqtt: string };
  logger: Logger;
}): Promise<Fleet> {
  const { config } = opts;
  const profiles = await registerDemoFleet(opts.store, opts.registry, {
    tenantId: opts.tenantId,
    count: config.simulate.devices,
    macNamespace: DEMO_MAC_NAMESPACE,
  });
  const fleet = createFleet({
    apiUrl: opts.urls.http,
    mqttUrl: opts.urls.mqtt,
    devices: config.simulate.devices,
    profiles,
    ratePerDevice: config.simulate.rate,
    macNamespace: DEMO_MAC_NAMESPACE,
    stateDir: join(config.dataDir, 'simulator'),
    seed: Date.now() % 100_000,
    logger: opts.logger.child({ component: 'simulator' }),
  });
  await fleet.start();
  return fleet;
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
