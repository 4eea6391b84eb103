import type pg from 'pg';
import type { DeviceRow } from './rows.js';

export type Db = pg.Pool | pg.PoolClient;

/** The first row of a query, typed as a device row unless told otherwise. */
export async function one<R extends object = DeviceRow>(
  db: Db,
  sql: string,
  params: unknown[],
): Promise<R | undefined> {
  return (await db.query<R>(sql, params)).rows[0];
}

/**
 * BEGIN/COMMIT on one pooled client; ROLLBACK and rethrow on error; a broken client is destroyed.
 * The client has an 'error' listener while it is out: pg emits 'error' when the socket dies
 * mid-transaction, and an unheard one ends the process (#15).
 */
export async function tx<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  const onError = (err: Error) => {
    broken ??= err;
  };
  client.on('error', onError);
  try {
    await client.query('BEGIN');
    try {
      const value = await fn(client);
      await client.query('COMMIT');
      return value;
    } catch (err) {
      await client.query('ROLLBACK').catch(onError);
      throw err;
    }
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}
