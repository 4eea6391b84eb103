/**
 * Delay before redelivering a batch whose handler threw, by attempt (1, 2, ...): 50 ms doubling to
 * 5 s. Short first retries keep a transient failure (a deadlock retry, a pool timeout) cheap;
 * the cap stops a poison batch from spinning the CPU while someone looks at the logs.
 */
export function redeliveryDelayMs(attempt: number): number {
  const base = 50 * 2 ** Math.max(0, attempt - 1);
  return Math.min(base, 5_000);
}

/** Resolves after `ms`, or earlier once `stop()` returns true (checked every 50 ms). */
export async function sleepUnless(ms: number, stop: () => boolean): Promise<void> {
  const deadline = Date.now() + ms;
  while (!stop() && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, Math.min(50, deadline - Date.now())));
  }
}
