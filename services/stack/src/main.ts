import { ConfigError, configVariables, loadConfig } from '@telemetry/config';
import { assertPortsFree, PortInUseError, stackPorts } from './ports.js';

// Composition root of the all-in-one process behind `npm start`.
const HELP = `npm start [-- --help]: the whole telemetry pipeline in one process.

Embedded engines unless the environment says otherwise: KAFKA_BROKERS (Kafka instead of the
in-process bus), DATABASE_URL (TimescaleDB/PostgreSQL instead of the embedded TimescaleDB in
DATA_DIR), REDIS_URL, SMTP_URL (instead of .eml files in DATA_DIR/outbox). Ports: HTTP_PORT
(API, dashboard, Socket.IO; default 8080), MQTT_PORT (1884), MQTT_WS_PORT (8884). SIMULATE=false
starts no demo fleet. Every variable, with its default, is in packages/config/src/schema.ts:
`;

/** SIGTERM to exit: within 10 s whatever happens (orchestrators kill at 10 s by default, some earlier). */
const STOP_BOUND_MS = 9_000;

async function main(): Promise<void> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    process.stdout.write(
      `${HELP}${configVariables()
        .map((v) => `  ${v}`)
        .join('\n')}\n`,
    );
    return;
  }
  const config = loadConfig({ SERVICE_NAME: 'stack', LOG_LEVEL: 'warn', ...process.env });
  // Loaded after the --help and config checks: they answer in well under a second, without
  // loading every service. The database's thread starts first: opening it (WebAssembly, seconds)
  // overlaps loading the services' code on this thread (#23).
  const { createLogger } = await import('@telemetry/observability');
  const logger = createLogger({ name: 'stack', level: config.logLevel });
  process.stdout.write(`Starting telemetry (data in ${config.dataDir}) ...\n`);
  await assertPortsFree(stackPorts(config)); // before the database opens: a clash is refused at once
  const { openStackStore } = await import('./open-store.js');
  const store = openStackStore(config, logger);
  store.catch(() => undefined); // awaited (and reported) by runStack
  const [{ dashboardIsStale, ensureDashboardBuilt }, { stopOnSignals }, { banner }, { runStack }] = await Promise.all([
    import('@telemetry/dashboard'),
    import('@telemetry/runtime'),
    import('./banner.js'),
    import('./stack.js'),
  ]);
  if (dashboardIsStale()) {
    const started = performance.now();
    await ensureDashboardBuilt().catch(async (err: unknown) => {
      await store.then((s) => s.close()).catch(() => undefined);
      throw err;
    });
    process.stdout.write(`  ✓ dashboard built (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
  }
  const stack = await runStack({
    config,
    logger,
    store,
    onStep: (step, ms) => process.stdout.write(`  ✓ ${step} (${(ms / 1000).toFixed(1)} s)\n`),
  }).catch(async (err: unknown) => {
    await store.then((s) => s.close()).catch(() => undefined); // its thread would keep the process alive
    throw err;
  });
  process.stdout.write(banner(stack));

  stopOnSignals({
    service: 'stack',
    // the terminal is the stack's audience: it says what it does on stdout, problems in the log
    logger: {
      info: (o: { signal?: string }) =>
        process.stdout.write(`\n${o.signal}: stopping (finishing what was acknowledged) ...\n`),
      error: (o, msg) => logger.error(o, msg),
    },
    closers: [
      { name: 'stack', close: () => stack.close() },
      { name: 'terminal', close: () => process.stdout.write('Stopped.\n') },
    ],
    exitWithinMs: STOP_BOUND_MS,
  });
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof PortInUseError) {
    process.stderr.write(`${err.message}\n`);
  } else {
    process.stderr.write(`Failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  }
  process.exitCode = 1;
});
