import { AppError, isAppError } from '@telemetry/contracts';

/**
 * A database error caused by one message's content (a value out of range, a violated check):
 * retrying the batch would fail forever, so the batch is split to dead-letter the culprit.
 * Everything else (connection lost, deadlock, serialization, a bug in SQL) is retried: the bus
 * redelivers with backoff and nothing was committed.
 */
export function isPoison(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'string' || code.length !== 5) return false;
  return code.startsWith('22') || code === '23502' || code === '23514';
}

/** Wraps a failed batch as the AppError the bus logs; retriable unless poison. */
export function batchError(err: unknown): AppError {
  if (isAppError(err)) return err;
  return new AppError(
    isPoison(err) ? 'TELEMETRY_SCHEMA_INVALID' : 'UNAVAILABLE',
    `pipeline batch failed: ${(err as Error).message}`,
    {
      retriable: !isPoison(err),
      cause: err,
    },
  );
}
