import { AppError } from '@telemetry/contracts';
import { forkChild } from '../rpc.js';

export interface StackProcess {
  readonly pid: number;
  /** `metrics`: Prometheus text of every service of the process (METRICS_PORT). */
  urls: { http: string; mqtt: string; metrics: string };
  /** The first admin, created by this start (fresh data directory or database). */
  admin: { username: string; password: string };
  close(): Promise<void>;
}

/**
 * Starts services/stack in a child process (stack/child.ts) with `env` on top of this process's
 * environment. The stack must be fresh: the bench signs in as the admin it creates.
 */
export async function startStackProcess(env: Record<string, string>, timeoutMs = 180_000): Promise<StackProcess> {
  const child = forkChild(new URL('./child.ts', import.meta.url), { name: 'stack', env: { ...process.env, ...env } });
  let started: { urls: StackProcess['urls']; admin: { username: string; password: string } | null };
  try {
    started = await child.call('start', undefined, timeoutMs);
  } catch (err) {
    await child.stop(5_000);
    throw err;
  }
  if (!started.admin) {
    await child.stop();
    throw new AppError(
      'CONFLICT',
      'the stack found an admin already: the bench needs a fresh data directory / database',
    );
  }
  return {
    pid: child.pid,
    urls: started.urls,
    admin: started.admin,
    async close() {
      try {
        await child.call('close', undefined, 60_000);
      } finally {
        await child.stop(10_000);
      }
    },
  };
}
