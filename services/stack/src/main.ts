import { ConfigError, loadConfig } from '@telemetry/config';
import { dashboardIsStale, ensureDashboardBuilt } from '@telemetry/dashboard';
import { createLogger } from '@telemetry/observability';
import { banner } from './banner.js';
import { PortInUseError } from './ports.js';
import { runStack } from './stack.js';

// Composition root of the all-in-one process behind `npm start`.
async function main(): Promise<void> {
  const config = loadConfig({ SERVICE_NAME: 'stack', LOG_LEVEL: 'warn', ...process.env });
  const logger = createLogger({ name: 'stack', level: config.logLevel });
  process.stdout.write(`Starting telemetry (data in ${config.dataDir}) ...\n`);
  if (dashboardIsStale()) {
    const started = performance.now();
    await ensureDashboardBuilt();
    process.stdout.write(`  ✓ dashboard built (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
  }
  const stack = await runStack({
    config,
    logger,
    onStep: (step, ms) => process.stdout.write(`  ✓ ${step} (${(ms / 1000).toFixed(1)} s)\n`),
  });
  process.stdout.write(banner(stack));

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping (finishing what was acknowledged) ...\n`);
    await stack.close();
    process.stdout.write('Stopped.\n');
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof PortInUseError) {
    process.stderr.write(`${err.message}\n`);
  } else {
    process.stderr.write(`Failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  }
  process.exitCode = 1;
});
