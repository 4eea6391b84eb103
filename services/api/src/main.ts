import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { createBus } from '@telemetry/bus';
import { loadConfig } from '@telemetry/config';
import { allTopics } from '@telemetry/contracts';
import { createHealth, createLogger, createRegistry, startOpsServer } from '@telemetry/observability';
import { stopOnSignals } from '@telemetry/runtime';
import { createStore } from '@telemetry/store';
import { createApi, createApiServer, createFirstAdmin } from './index.js';

/** The API alone: config, logger, metrics, bus, store, then createApi on cfg.http.port. */
async function main(): Promise<void> {
  const cfg = loadConfig(process.env);
  const logger = createLogger({ name: 'api', level: cfg.logLevel });
  const registry = createRegistry({ service: 'api' });
  const bus = createBus(cfg.bus, { logger });
  const store = await createStore(cfg.store, {
    applicationName: 'api',
    onPoolError: (err) => logger.warn({ err }, 'pool error'),
  });
  await store.migrate();
  await bus.ensureTopics(allTopics.map((name) => ({ name })));
  const admin = await createFirstAdmin(store);
  if (admin.created) {
    // Once, on the terminal, never in the structured logs (which are shipped and kept).
    process.stdout.write(
      `\nFirst platform admin created: ${admin.username} / ${admin.password}\n` +
        'Sign in and change the password (required at first sign-in); it is not shown again.\n\n',
    );
    logger.warn({ username: admin.username }, 'created the first admin; its password was printed once to stdout');
  }

  // the dashboard build (the image builds it): served at /, on the origin the proxy gives Socket.IO too
  const dashboard = fileURLToPath(new URL('../../dashboard/dist', import.meta.url));
  const staticDir = existsSync(`${dashboard}/index.html`) ? dashboard : undefined;
  const api = createApi({ store, bus, logger, registry, config: cfg, staticDir });
  const server: Server = await new Promise((resolve, reject) => {
    const { server: s } = createApiServer(api.app, cfg, logger);
    s.listen(cfg.http.port, cfg.http.host, () => resolve(s));
    s.once('error', reject);
  });
  const health = createHealth();
  health.addReadiness('store', () => store.pool.query('SELECT 1').then(() => true));
  health.addReadiness('bus', () => bus.healthy());
  const ops = await startOpsServer({
    registry: registry,
    health,
    port: cfg.metrics.port,
    host: cfg.metrics.host,
    token: cfg.metrics.token,
  });
  logger.info({ port: cfg.http.port, docs: `http://localhost:${cfg.http.port}/docs` }, 'api listening');

  stopOnSignals({
    service: 'api',
    logger,
    closers: [
      { name: 'http', close: () => new Promise<void>((resolve) => server.close(() => resolve())) },
      { name: 'api', close: () => api.close() },
      { name: 'ops', close: () => ops.close() },
      { name: 'bus', close: () => bus.close() },
      { name: 'store', close: () => store.close() },
    ],
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
