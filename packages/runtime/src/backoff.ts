export interface BackoffOptions {
  /** Delay of the first retry (attempt 1). */
  baseMs: number;
  /** The cap: a poison input must not spin the CPU, nor a retry wait for minutes. */
  maxMs: number;
}

/**
 * Exponential backoff by attempt (1, 2, ...): base, 2 x base, 4 x base ... capped at max.
 * The one formula of the workspace (bus redelivery, gateway bus retries and presence writes,
 * notifier mail retries).
 */
export function backoffMs(attempt: number, opts: BackoffOptions): number {
  return Math.min(opts.maxMs, opts.baseMs * 2 ** Math.max(0, attempt - 1));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Resolves after `ms`, or earlier once `stop()` returns true (checked every 50 ms). */
export async function sleepUnless(ms: number, stop: () => boolean): Promise<void> {
  const deadline = Date.now() + ms;
  while (!stop() && Date.now() < deadline) {
    await sleep(Math.min(50, deadline - Date.now()));
  }
}
