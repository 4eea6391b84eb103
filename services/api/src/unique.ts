import { AppError } from '@telemetry/contracts';

/** A `.catch` for writes under a unique constraint: a duplicate (SQLSTATE 23505) is a 409 with `message`, not a 500. */
export function onUniqueViolation(message: string) {
  return (err: Error & { code?: string }): never => {
    if (err.code === '23505') throw new AppError('CONFLICT', message);
    throw err;
  };
}
