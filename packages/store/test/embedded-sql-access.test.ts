import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStore, type Store } from '../src/index.js';

// Issue 16: PGlite is ONE session; a second client on its port could interleave with the stack's
// transactions (and see or end them). The read-only SQL access runs a statement only between two
// of the stack's transactions, in a READ ONLY transaction of its own.
describe('embedded store: the read-only SQL access', () => {
  let dir: string;
  let store: Store;
  let password: string;
  const clients: pg.Client[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'store-sql-'));
    store = await createStore({ dataDir: join(dir, 'db'), sqlAccess: true, port: 0, poolSize: 1 });
    await store.pool.query('CREATE TABLE notes (id int PRIMARY KEY, body text NOT NULL)');
    await store.pool.query("INSERT INTO notes VALUES (1, 'committed')");
    password = (await readFile(store.sqlAccess?.passwordFile as string, 'utf8')).trim();
  }, 120_000);

  afterAll(async () => {
    for (const c of clients) await c.end().catch(() => undefined);
    await store?.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function person(secret = password): Promise<pg.Client> {
    const c = new pg.Client({
      host: '127.0.0.1',
      port: store.sqlAccess?.port,
      user: 'reader',
      database: 'postgres',
      password: secret,
    });
    clients.push(c);
    c.on('error', () => undefined);
    await c.connect();
    return c;
  }

  it('waits for the stack to leave its transaction, never sees it, and cannot write', async () => {
    const c = await person();
    const tx = await store.pool.connect();
    try {
      await tx.query('BEGIN');
      await tx.query("INSERT INTO notes VALUES (2, 'uncommitted')");
      let answered = false;
      const read = c.query('SELECT count(*)::int AS n FROM notes').then((r) => {
        answered = true;
        return r.rows[0]?.n;
      });
      // the stack goes on inside its transaction meanwhile
      await tx.query("INSERT INTO notes VALUES (3, 'uncommitted')");
      await new Promise((r) => setTimeout(r, 300));
      expect(answered, 'a read inside the stack transaction').toBe(false);
      await tx.query('ROLLBACK');
      expect(await read).toBe(1);
    } finally {
      tx.release();
    }
    await expect(c.query("INSERT INTO notes VALUES (9, 'x')")).rejects.toThrow(/read-only transaction/);
    await expect(c.query('SELECT 1; SELECT 2')).rejects.toThrow(/multiple commands/);
    await expect(c.query('COMMIT')).rejects.toThrow(/queries only/);
    await expect(c.query('SELECT pg_sleep(5)')).rejects.toThrow(/refuses sleeping/);
    await expect(c.query('SELECT count(*) FROM generate_series(1, 100000000)')).rejects.toThrow(/estimated cost/);
    // the session is the stack's again, unchanged
    expect((await store.pool.query('SELECT count(*)::int AS n FROM notes')).rows[0]?.n).toBe(1);
    expect((await store.pool.query('SHOW transaction_read_only')).rows[0]?.transaction_read_only).toBe('off');
  });

  it('refuses a wrong password and serves nothing before a login', async () => {
    await expect(person('wrong')).rejects.toThrow(/password authentication failed/);
    expect((await store.pool.query('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
  });
});
