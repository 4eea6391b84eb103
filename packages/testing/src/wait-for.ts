export interface WaitForOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** Shown in the error when the condition never held. */
  message?: string;
}

/**
 * Polls `condition` until it returns a truthy value (which is returned) or the
 * timeout passes. Tests wait on a condition, never on a fixed sleep.
 */
export async function waitFor<T>(
  condition: () => T | Promise<T>,
  { timeoutMs = 10_000, intervalMs = 25, message }: WaitForOptions = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await condition();
      if (value) return value as NonNullable<T>;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const why = lastError instanceof Error ? `: last error ${lastError.message}` : '';
      throw new Error(`waitFor timed out after ${timeoutMs} ms${message ? ` (${message})` : ''}${why}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
