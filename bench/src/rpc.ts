/**
 * Parent ⇄ child calls over the IPC channel of a forked process. The bench puts the stack, the
 * load generator and the dashboard client in processes of their own so that /proc tells their CPU
 * and memory apart, and so that the load generator does not steal the event loop of what it measures.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { AppError } from '@telemetry/contracts';

interface Request {
  rpc: number;
  method: string;
  params: unknown;
}
type Reply = { rpc: number; ok: true; result: unknown } | { rpc: number; ok: false; error: string };
interface Notice {
  event: string;
  data: unknown;
}

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface Child {
  readonly pid: number;
  readonly name: string;
  call<T>(method: string, params?: unknown, timeoutMs?: number): Promise<T>;
  /** Events the child emits with `emit()`. */
  on(event: string, fn: (data: unknown) => void): void;
  /** Asks the child to exit (SIGTERM), SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  readonly exited: Promise<number | null>;
}

/**
 * Forks a TypeScript module of bench/src with tsx, from the repository root (where `tsx` resolves).
 * Its stdout/stderr are passed through with a prefix only on failure; the child's own logs go to stderr.
 */
export function forkChild(module: URL, opts: { name: string; env?: NodeJS.ProcessEnv }): Child {
  const cp: ChildProcess = fork(fileURLToPath(module), [], {
    cwd: REPO_ROOT,
    execArgv: ['--import', 'tsx'],
    env: opts.env ?? process.env,
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let next = 1;
  const pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void; timer?: NodeJS.Timeout }
  >();
  const listeners = new Map<string, ((data: unknown) => void)[]>();
  const exited = new Promise<number | null>((resolve) => cp.once('exit', (code) => resolve(code)));
  void exited.then((code) => {
    for (const p of pending.values()) {
      clearTimeout(p.timer);
      p.reject(new AppError('UNAVAILABLE', `${opts.name} process exited (code ${code}) before it answered`));
    }
    pending.clear();
  });
  cp.on('message', (m: Reply | Notice) => {
    if ('event' in m) {
      for (const fn of listeners.get(m.event) ?? []) fn(m.data);
      return;
    }
    const p = pending.get(m.rpc);
    if (!p) return;
    pending.delete(m.rpc);
    clearTimeout(p.timer);
    if (m.ok) p.resolve(m.result);
    else p.reject(new Error(`${opts.name}: ${m.error}`));
  });
  if (cp.pid === undefined) throw new AppError('INTERNAL', `could not start the ${opts.name} process`);
  return {
    pid: cp.pid,
    name: opts.name,
    exited,
    call<T>(method: string, params?: unknown, timeoutMs = 600_000) {
      return new Promise<T>((resolve, reject) => {
        if (cp.exitCode !== null || !cp.connected) {
          reject(new AppError('UNAVAILABLE', `${opts.name} process is not running`));
          return;
        }
        const rpc = next++;
        const timer = setTimeout(() => {
          pending.delete(rpc);
          reject(new AppError('UNAVAILABLE', `${opts.name}: ${method} did not answer within ${timeoutMs} ms`));
        }, timeoutMs);
        pending.set(rpc, { resolve: resolve as (v: unknown) => void, reject, timer });
        cp.send({ rpc, method, params } satisfies Request);
      });
    },
    on(event, fn) {
      listeners.set(event, [...(listeners.get(event) ?? []), fn]);
    },
    async stop(graceMs = 30_000) {
      if (cp.exitCode !== null || cp.signalCode !== null) return;
      cp.kill('SIGTERM');
      const timer = setTimeout(() => cp.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The child side: answers the parent's calls with `handlers`; exits on SIGTERM after `onStop`. */
export function serve(
  handlers: Record<string, (params: never) => unknown>,
  onStop: () => Promise<void> = async () => undefined,
): void {
  if (!process.send) throw new Error('this module runs as a child of the bench (forkChild)');
  process.on('message', (m: Request) => {
    const handler = handlers[m.method];
    const reply = (r: Reply) => process.send?.(r);
    if (!handler) {
      reply({ rpc: m.rpc, ok: false, error: `unknown method ${m.method}` });
      return;
    }
    Promise.resolve()
      .then(() => handler(m.params as never))
      .then(
        (result) => reply({ rpc: m.rpc, ok: true, result }),
        (err: unknown) => reply({ rpc: m.rpc, ok: false, error: err instanceof Error ? err.message : String(err) }),
      );
  });
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    onStop()
      .catch((err: unknown) => process.stderr.write(`stop failed: ${String(err)}\n`))
      .finally(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  // The parent died: nobody will ask us to stop.
  process.once('disconnect', stop);
}

/** Sends an event to the parent (progress, …). */
export function emit(event: string, data: unknown): void {
  process.send?.({ event, data } satisfies Notice);
}
