import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';
// Type-only: kafka.ts imports vitest's worker API, which has no business in the main process.
import type {} from './kafka.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../../', import.meta.url));
const kafkaSh = fileURLToPath(new URL('../../../infra/kafka/kafka.sh', import.meta.url));

/**
 * Vitest global setup: the engines of the whole run, started once (an engine per test is what
 * dominated trigger.dev's CI). Kafka: KAFKA_BROKERS when set, else a fresh broker from infra/kafka
 * on a free port, stopped at the end. Tests isolate by topic and group names.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const given = (process.env.KAFKA_BROKERS ?? '')
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  if (given.length > 0) {
    project.provide('kafkaBrokers', given);
    console.log(`[global-setup] Kafka: using KAFKA_BROKERS=${given.join(',')}`);
    return async () => undefined;
  }

  requireJava();
  const port = await freePort();
  // KAFKA_OWNER_PID: kafka.sh stops the broker itself if this process dies without the teardown.
  const env = { ...process.env, KAFKA_PORT: String(port), KAFKA_OWNER_PID: String(process.pid) };
  const started = Date.now();
  try {
    await run('bash', [kafkaSh, 'start'], { cwd: root, env, timeout: 180_000 });
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; message: string };
    // The script's own verdict is its last line; the broker log lines before it give the context.
    const output = (e.stderr || e.stdout || e.message).trim().split('\n').slice(-15).join('\n');
    throw new Error(`Could not start Kafka for the tests (infra/kafka/kafka.sh start):\n${output}`);
  }
  const brokers = [`127.0.0.1:${port}`];
  process.env.KAFKA_BROKERS = brokers.join(',');
  project.provide('kafkaBrokers', brokers);
  console.log(`[global-setup] Kafka: started a broker at ${brokers[0]} in ${Date.now() - started} ms (infra/kafka)`);

  // Ctrl-C can skip the teardown; never leave a broker behind on a random port.
  const stopSync = () => {
    spawnSync('bash', [kafkaSh, 'stop'], { env, stdio: 'ignore' });
  };
  process.once('exit', stopSync);
  return async () => {
    process.off('exit', stopSync);
    await run('bash', [kafkaSh, 'stop'], { cwd: root, env, timeout: 60_000 });
  };
}

function requireJava(): void {
  try {
    execFileSync('java', ['-version'], { stdio: 'ignore' });
  } catch {
    throw new Error(
      'Kafka tests need Java 17+ to run the broker from infra/kafka, and `java` was not found. ' +
        'Install it (apt-get install openjdk-17-jre-headless maven) or set KAFKA_BROKERS=host:port.',
    );
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}
