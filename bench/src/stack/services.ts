/**
 * The distributed deployment under test: each service of docker-compose.yml in a process of its own
 * (`node --import tsx services/<svc>/src/main.ts`, the command its image runs), with the environment
 * docker-compose gives it, on the bench's engines and free ports instead of Docker's network. One
 * process per service (compose runs some replicated behind HAProxy; the bench talks to each
 * service directly: MQTT to the gateway, REST to the api, Socket.IO to the realtime gateway).
 *
 * Start order: the api first (it migrates, creates every topic and the first admin, printed once
 * on its stdout), then the consumers, then the gateway, each awaited on its /readyz (METRICS_PORT)
 * as compose's health checks do. Stop: the reverse, SIGTERM then SIGKILL after a grace.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { AppError } from '@telemetry/contracts';
import { freePort } from '../engines.js';
import { REPO_ROOT } from '../rpc.js';

export const SERVICES = ['api', 'pipeline', 'rules', 'notifier', 'realtime', 'mqtt-gateway'] as const;
export type ServiceName = (typeof SERVICES)[number];

export interface ServiceProcess {
  name: ServiceName;
  pid: number;
  /** Prometheus text (and /readyz) of this process. */
  metricsUrl: string;
}

export interface ServicesStack {
  services: ServiceProcess[];
  urls: { http: string; realtime: string; mqtt: string };
  admin: { username: string; password: string };
  close(): Promise<void>;
}

const ADMIN_LINE = /First platform admin created: (\S+) \/ (\S+)/;

interface Running extends ServiceProcess {
  child: ChildProcess;
  /** The last few KB of its output, for the error when it dies. */
  tail: () => string;
  exited: Promise<number | null>;
}

function launch(name: ServiceName, env: NodeJS.ProcessEnv, onStdout?: (text: string) => void): Running {
  const child = spawn(process.execPath, ['--import', 'tsx', join('services', name, 'src', 'main.ts')], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new AppError('INTERNAL', `could not start the ${name} process`);
  let out = '';
  const keep = (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    out = (out + text).slice(-4_000);
    return text;
  };
  child.stdout?.on('data', (c: Buffer) => onStdout?.(keep(c)));
  child.stderr?.on('data', (c: Buffer) => keep(c));
  if (env.BENCH_STACK_LOG_LEVEL && env.BENCH_STACK_LOG_LEVEL !== 'silent') {
    child.stdout?.on('data', (c: Buffer) => process.stderr.write(`[${name}] ${c}`));
    child.stderr?.on('data', (c: Buffer) => process.stderr.write(`[${name}] ${c}`));
  }
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { name, pid: child.pid, child, metricsUrl: '', tail: () => out, exited };
}

/** Polls /readyz until it answers 200; fails when the process exits first or after `timeoutMs`. */
async function ready(p: Running, readyz: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited: number | null | undefined;
  void p.exited.then((code) => {
    exited = code;
  });
  while (Date.now() < deadline) {
    if (exited !== undefined)
      throw new AppError('UNAVAILABLE', `${p.name} exited (code ${exited}) while starting:\n${p.tail()}`);
    const ok = await fetch(readyz, { signal: AbortSignal.timeout(2_000) }).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new AppError('UNAVAILABLE', `${p.name} not ready within ${timeoutMs / 1000} s:\n${p.tail()}`);
}

async function stop(p: Running, graceMs: number): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill('SIGTERM');
  const timer = setTimeout(() => p.child.kill('SIGKILL'), graceMs);
  await p.exited;
  clearTimeout(timer);
}

/**
 * Starts the six services with `env` (engines, secrets, limits: what the bench chose) on top of
 * compose's per-service settings. The stack must be fresh: the bench signs in as the admin the
 * api creates.
 */
export async function startServices(env: Record<string, string>, timeoutMs = 180_000): Promise<ServicesStack> {
  const ports = {
    http: await freePort(),
    realtime: await freePort(),
    mqtt: await freePort(),
  };
  const running: Running[] = [];
  // spawned, not forked: no IPC channel tells a service that the bench is gone, so a bench that
  // exits without close() (an uncaught error, SIGTERM: see main.ts) takes them with it
  const orphans = () => {
    for (const p of running) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  };
  process.once('exit', orphans);
  const close = async () => {
    for (const p of [...running].reverse()) await stop(p, 15_000);
    process.off('exit', orphans);
  };
  // what docker-compose.yml gives each service on top of x-env
  const own: Record<ServiceName, Record<string, string>> = {
    api: { HTTP_PORT: String(ports.http) },
    pipeline: {},
    rules: {},
    notifier: {},
    realtime: { REALTIME_PORT: String(ports.realtime) },
    'mqtt-gateway': { MQTT_PORT: String(ports.mqtt), MQTT_WS_PORT: '-1' },
  };
  let admin: { username: string; password: string } | undefined;
  let stdout = '';
  const start = async (name: ServiceName) => {
    const metricsPort = await freePort();
    const p = launch(
      name,
      { ...env, ...own[name], SERVICE_NAME: name, METRICS_PORT: String(metricsPort), METRICS_HOST: '127.0.0.1' },
      name === 'api'
        ? (text) => {
            stdout = (stdout + text).slice(-4_000);
            const m = ADMIN_LINE.exec(stdout);
            if (m?.[1] && m[2]) admin = { username: m[1], password: m[2] };
          }
        : undefined,
    );
    p.metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    running.push(p);
    await ready(p, `http://127.0.0.1:${metricsPort}/readyz`, timeoutMs);
  };
  try {
    await start('api');
    // the consumers before their producer, as the all-in-one stack starts them
    await Promise.all((['pipeline', 'rules', 'notifier', 'realtime'] as const).map(start));
    await start('mqtt-gateway');
  } catch (err) {
    await close();
    throw err;
  }
  if (!admin) {
    await close();
    throw new AppError(
      'CONFLICT',
      'the api found an admin already (no "First platform admin created" line): the bench needs a fresh database',
    );
  }
  return {
    services: running.map(({ name, pid, metricsUrl }) => ({ name, pid, metricsUrl })),
    urls: {
      http: `http://127.0.0.1:${ports.http}`,
      realtime: `http://127.0.0.1:${ports.realtime}`,
      mqtt: `mqtt://127.0.0.1:${ports.mqtt}`,
    },
    admin,
    close,
  };
}
