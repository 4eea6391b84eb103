import { loadConfig } from '@telemetry/config';
import { createLogger, silentLogger } from '@telemetry/observability';
import { runStack } from './stack.js';

export { banner } from './banner.js';
export { PortInUseError } from './ports.js';
export { type RunningStack, runStack, type StackOptions } from './stack.js';

/**
 * For tests and tools: the all-in-one stack from an environment (embedded engines unless
 * KAFKA_BROKERS / DATABASE_URL / REDIS_URL / SMTP_URL say otherwise).
 */
export async function startStack(opts: { env: Record<string, string | undefined>; quiet?: boolean }) {
  // a free metrics port unless one is asked for: tools and tests run several stacks side by side
  const config = loadConfig({ METRICS_PORT: '0', ...opts.env });
  const logger = opts.quiet === false ? createLogger({ name: 'stack', level: config.logLevel }) : silentLogger();
  const stack = await runStack({ config, logger });
  return {
    urls: stack.urls,
    admin: stack.firstRun.admin,
    demoUsers: stack.firstRun.demoUsers,
    /** SQL on the stack's own store (the fleet e2e test seeds 10,000 devices in one INSERT). */
    pool: stack.store.pool,
    close: stack.close,
  };
}
