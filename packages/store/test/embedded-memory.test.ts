import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestStore, type TestStore } from '../../testing/src/store.js';

const MiB = 1024 * 1024;

/** A full GC without --expose-gc on the command line (vitest forks its own workers). */
function collect(): void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  gc();
}

// A socket front runs every message through PGlite's execProtocolRaw, which kept each parsed
// backend message on the JS heap for good: ~260 KB per 1,000-row result (see
// src/embedded/raw-protocol.ts). A memory bound, not a timing one.
describe('embedded store memory', () => {
  let test: TestStore;

  beforeAll(async () => {
    test = await createTestStore('embedded', { migrate: false });
  });

  afterAll(async () => {
    await test?.drop();
  });

  it('does not keep query results on the JS heap', async () => {
    const query = "SELECT generate_series(1, 1000) AS n, repeat('x', 100) AS s";
    for (let i = 0; i < 50; i++) await test.store.pool.query(query); // warm-up: pg, parser, buffers
    collect();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 500; i++) {
      const { rowCount } = await test.store.pool.query(query);
      expect(rowCount).toBe(1000);
    }
    collect();
    const grown = process.memoryUsage().heapUsed - before;
    // Leaking: ~125 MiB over these 500 queries. Fixed: well under 1 MiB.
    expect(grown).toBeLessThan(16 * MiB);
  });

  it('still reports errors and tracks transactions through the socket', async () => {
    const { pool } = test.store;
    await expect(pool.query('SELECT * FROM no_such_table')).rejects.toThrow(/does not exist/);
    await pool.query('CREATE TEMP TABLE IF NOT EXISTS mem_tx (n int)');
    await expect(
      test.store.withTransaction(async (client) => {
        await client.query('INSERT INTO mem_tx VALUES (1)');
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    const { rows } = await pool.query('SELECT count(*)::int AS n FROM mem_tx');
    expect(rows).toEqual([{ n: 0 }]);
  });
});
