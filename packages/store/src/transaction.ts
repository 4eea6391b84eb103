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

/**
 * Checks a client out of the pool with an 'error' listener for as long as it is out, runs fn,
 * and releases it (destroyed when its connection broke). pg-pool removes its own idle listener
 * from a checked-out client, and pg emits 'error' on the client when the socket dies (server
 * restart, pg_terminate_backend, a reset mid-transaction): without a listener that is an
 * uncaught exception and the process exits (#15). The query in flight rejects with the same
 * error, so the listener only has to remember it.
 */
export async function withClient<T>(
  pool: pg.Pool,
  fn: (client: pg.PoolClient, markBroken: (err: Error) => void) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  const markBroken = (err: Error) => {
    broken ??= err;
  };
  client.on('error', markBroken);
  try {
    return await fn(client, markBroken);
  } catch (err) {
    // A query that failed because the socket is gone may reject before 'error' is emitted.
    if (isConnectionGone(client)) markBroken(err as Error);
    throw err;
  } finally {
    client.off('error', markBroken);
    // pg-pool re-adds its idle listener on release; a broken client is destroyed, never reused.
    client.release(broken ?? (isConnectionGone(client) ? new Error('connection lost') : undefined));
  }
}

/** Runs fn in a transaction on a client of its own, always released (destroyed if broken). */
export function withTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  return withClient(pool, (client, markBroken) => inTransaction(client, () => fn(client), markBroken));
}

/** pg marks a client not queryable once its connection ended or errored. */
function isConnectionGone(client: pg.PoolClient): boolean {
  const internal = client as unknown as { _queryable?: boolean; _ending?: boolean };
  return internal._queryable === false || internal._ending === true;
}
