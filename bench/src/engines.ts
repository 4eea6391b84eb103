/**
 * The engines of the distributed backend for one bench run: a Kafka broker (the one in
 * KAFKA_BROKERS, or our own from infra/kafka/kafka.sh on a free port, with the full JIT), a fresh
 * database on the machine's PostgreSQL, and Redis. Each is released by its `close()`.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AppError } from '@telemetry/contracts';
import pg from 'pg';
import { REPO_ROOT } from './rpc.js';

const run = promisify(execFile);

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export interface KafkaBroker {
  brokers: string[];
  /** The broker's JVM when we started it (sampled for CPU and memory). */
  pid: number | undefined;
  /** How it was obtained, for the report. */
  note: string;
  close(): Promise<void>;
}

/** KAFKA_BROKERS when given (shared: its load and old topics are not ours), else a broker of our own. */
export async function kafkaBroker(given: string[] | undefined, log: (m: string) => void): Promise<KafkaBroker> {
  if (given && given.length > 0) {
    return { brokers: given, pid: undefined, note: `existing broker ${given.join(',')}`, close: async () => {} };
  }
  const port = await freePort();
  const script = join(REPO_ROOT, 'infra/kafka/kafka.sh');
  const env = {
    ...process.env,
    KAFKA_PORT: String(port),
    // kafka.sh defaults to a quick start (C1 only, serial GC); a benchmark wants the full JIT
    KAFKA_JVM_OPTS: '-XX:+UseG1GC -Djava.awt.headless=true',
    KAFKA_HEAP_OPTS: '-Xms512m -Xmx1g',
  };
  log(`starting Kafka on 127.0.0.1:${port} (infra/kafka/kafka.sh, G1 + full JIT)`);
  try {
    await run('bash', [script, 'start'], { env, timeout: 180_000 });
  } catch (err) {
    throw new AppError(
      'UNAVAILABLE',
      `could not start Kafka with ${script}: ${(err as Error & { stderr?: string }).stderr ?? (err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  const pidText = await readFile(join(REPO_ROOT, `infra/kafka/.cache/kafka-${port}.pid`), 'utf8').catch(() => '');
  return {
    brokers: [`127.0.0.1:${port}`],
    pid: Number(pidText.trim()) || undefined,
    note: `own broker (Kafka 3.9, KRaft, 1 node, G1, heap 1 GB) on port ${port}`,
    close: async () => {
      await run('bash', [script, 'stop'], { env, timeout: 120_000 }).catch((err: Error) =>
        log(`kafka stop: ${err.message}`),
      );
    },
  };
}

export interface ScratchDatabase {
  url: string;
  name: string;
  /** PostgreSQL backends connected to it (sampled for CPU and memory). */
  backendPids(): Promise<number[]>;
  close(): Promise<void>;
}

/** A fresh database on the server of `adminUrl`, dropped by close(). */
export async function scratchDatabase(adminUrl: string, prefix: string): Promise<ScratchDatabase> {
  const name = `${prefix}_${Date.now().toString(36)}_${process.pid}`;
  const admin = new pg.Pool({ connectionString: adminUrl, max: 1, application_name: 'bench-admin' });
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } catch (err) {
    await admin.end();
    throw new AppError('UNAVAILABLE', `PostgreSQL at ${redact(adminUrl)}: ${(err as Error).message}`, { cause: err });
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    async backendPids() {
      const { rows } = await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [
        name,
      ]);
      return rows.map((r) => r.pid);
    },
    async close() {
      try {
        await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await admin.end();
      }
    },
  };
}

function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}
