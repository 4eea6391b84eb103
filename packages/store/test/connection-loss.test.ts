import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// Relative, not @telemetry/testing: that package depends on this one.
import { createTestStore, type TestStore } from '../../testing/src/store.js';
import { startTcpProxy, type TcpProxy } from '../../testing/src/tcp-proxy.js';
import { createStore, isDbUnavailable, isRetriableDbError, type Store } from '../src/index.js';

/**
 * #15: PostgreSQL resetting a connection mid-transaction ended the process ("Unhandled 'error'
 * event: read ECONNRESET"). Here the backend is terminated from another connection, and the
 * network is cut by a proxy, while a transaction is open: the transaction rejects with an error
 * classified retriable, the process lives on (an uncaught 'error' fails the vitest run), and the
 * same pool serves again.
 */
describe('store: a connection lost mid-transaction (PostgreSQL)', () => {
  let t: TestStore;
  let proxy: TcpProxy;
  let viaProxy: Store;
  let admin: pg.Client;
  const poolErrors: Error[] = [];

  beforeAll(async () => {
    t = await createTestStore('postgres', { migrate: false });
    await t.store.pool.query('CREATE TABLE IF NOT EXISTS r (id int PRIMARY KEY)');
    const target = new URL(t.url);
    proxy = await startTcpProxy({ port: Number(target.port || 5432) });
    viaProxy = await createStore(
      { databaseUrl: proxy.url(t.url), dataDir: 'memory://', port: 0, poolSize: 2, statementTimeoutMs: 2_000 },
      { applicationName: 'conn-loss', onPoolError: (err) => poolErrors.push(err) },
    );
    admin = new pg.Client({ connectionString: t.url });
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.end();
    await viaProxy?.close();
    await proxy?.close();
    await t?.drop();
  });

  it('pg_terminate_backend inside withTransaction: rejects retriable, nothing committed, pool serves on', async () => {
    const attempt = t.store.withTransaction(async (client) => {
      await client.query('INSERT INTO r VALUES (1)');
      const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid;
      await admin.query('SELECT pg_terminate_backend($1)', [pid]);
      await client.query('SELECT pg_sleep(0.2)');
      await client.query('INSERT INTO r VALUES (2)');
    });
    const err = await attempt.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expect(isRetriableDbError(err)).toBe(true);
    expect(isDbUnavailable(err)).toBe(true);
    // the broken client was destroyed, not pooled: the next transactions work
    await t.store.withTransaction((c) => c.query('INSERT INTO r VALUES (3)'));
    const { rows } = await t.store.pool.query<{ id: number }>('SELECT id FROM r ORDER BY id');
    expect(rows.map((r) => r.id)).toEqual([3]);
  });

  it('the network cut mid-transaction and down for a while: rejects retriable, then resumes by itself', async () => {
    const started = viaProxy.withTransaction(async (client) => {
      await client.query('INSERT INTO r VALUES (10)');
      proxy.down();
      await client.query('INSERT INTO r VALUES (11)');
    });
    const err = await started.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isRetriableDbError(err)).toBe(true);
    // while down: connecting fails fast with a retriable error
    const whileDown = await viaProxy.pool.query('SELECT 1').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isRetriableDbError(whileDown)).toBe(true);
    proxy.up();
    await viaProxy.withTransaction((c) => c.query('INSERT INTO r VALUES (12)'));
    const { rows } = await t.store.pool.query<{ id: number }>('SELECT id FROM r WHERE id >= 10 ORDER BY id');
    expect(rows.map((r) => r.id)).toEqual([12]);
  });

  it('an idle pooled connection cut: the pool reports it and reconnects', async () => {
    await Promise.all([viaProxy.pool.query('SELECT 1'), viaProxy.pool.query('SELECT 2')]);
    const before = poolErrors.length;
    proxy.cut();
    await new Promise((r) => setTimeout(r, 100));
    expect(poolErrors.length).toBeGreaterThan(before);
    expect((await viaProxy.pool.query<{ n: number }>('SELECT 1 AS n')).rows[0]?.n).toBe(1);
  });

  it('statement_timeout bounds a query on the server (57014, not retriable)', async () => {
    const err = await viaProxy.pool.query('SELECT pg_sleep(5)').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((err as { code?: string }).code).toBe('57014');
    expect(isRetriableDbError(err)).toBe(false);
  });
});
