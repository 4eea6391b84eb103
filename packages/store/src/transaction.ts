import type pg from 'pg';

/**
 * BEGIN, fn, COMMIT; ROLLBACK and rethrow fn's error when it throws. A failed ROLLBACK means
 * the connection is unusable (dead socket, protocol out of step): it is reported to
 * `onBrokenConnection` so the owner destroys the client instead of pooling it.
 */
export async function inTransaction<T>(
  client: pg.ClientBase,
  fn: () => Promise<T>,
  onBrokenConnection?: (err: Error) => void,
): Promise<T> {
  await client.query('BEGIN');
  try {
    const value = await fn();
    await client.query('COMMIT');
    return value;
  } catch (err) {
    await client.query('ROLLBACK').catch((rollbackErr: Error) => onBrokenConnection?.(rollbackErr));
    throw err;
  }
}

/** Runs fn in a transaction on a client of its own, always released (destroyed if broken). */
export async function withTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    return await inTransaction(
      client,
      () => fn(client),
      (err) => {
        broken = err;
      },
    );
  } finally {
    client.release(broken);
  }
}
