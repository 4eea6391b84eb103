import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');

/**
 * A free port below the kernel's ephemeral range (32768+): the child binds it seconds later, and
 * meanwhile an outgoing connection of this machine could otherwise be given the same port.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const candidate = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(false));
      s.listen(candidate, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (free) return candidate;
  }
  throw new Error('no free port below the ephemeral range');
}

/** A service's main.ts (or a test entry) as a child process, its output kept for assertions and failure messages. */
export interface Proc {
  name: string;
  child: ChildProcess;
  output(): string;
  /** Resolves with the first match of `pattern` in the output (or rejects when the process exits first). */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code once the process ended by itself. */
  exited: Promise<number | null>;
  /** Sends the signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function startProcess(name: string, entry: string, env: Record<string, string>, args: string[] = []): Proc {
  const child = spawn(process.execPath, ['--import', 'tsx', entry, ...args], {
    cwd: ROOT,
    // a free metrics port unless the test names one: test files run side by side (METRICS_PORT)
    env: { ...process.env, METRICS_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    name,
    child,
    output: () => out,
    exited,
    waitForOutput(pattern, timeoutMs = 90_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => done(new Error(`${name}: no ${pattern} within ${timeoutMs} ms:\n${out}`)),
          timeoutMs,
        );
        const check = () => {
          const m = out.match(pattern);
          if (m) done(undefined, m);
        };
        const onExit = (code: number | null) => done(new Error(`${name} exited (${code}) before ${pattern}:\n${out}`));
        function done(err?: Error, m?: RegExpMatchArray) {
          clearTimeout(timer);
          child.stdout?.off('data', check);
          child.stderr?.off('data', check);
          child.off('exit', onExit);
          if (err) reject(err);
          else resolve(m as RegExpMatchArray);
        }
        child.stdout?.on('data', check);
        child.stderr?.on('data', check);
        child.once('exit', onExit);
        check();
      });
    },
    async stop(signal = 'SIGINT') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
