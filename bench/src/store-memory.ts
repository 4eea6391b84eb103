/**
 * Memory of the embedded store under a plain query loop.
 * node --expose-gc --import tsx bench/src/store-memory.ts [queries=20000] [every=2000] [dataDir=memory://]
 * Prints heapUsed / external / arrayBuffers / rss after a forced GC every `every` queries.
 * heap/ext/ab are this thread's (pg and the socket); PGlite runs in its worker thread (#23): rss covers both.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startEmbeddedStore } from '../../packages/store/src/embedded/index.js';

const total = Number(process.argv[2] ?? 20_000);
const every = Number(process.argv[3] ?? 2_000);
const dirArg = process.argv[4] ?? 'memory://';
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

const tmp = dirArg === 'disk' ? mkdtempSync(join(tmpdir(), 'store-mem-')) : undefined;
const store = await startEmbeddedStore({ dataDir: tmp ?? dirArg });
const pool = new pg.Pool({ stream: store.connect, max: 1 });
const mb = (n: number) => (n / 1024 / 1024).toFixed(1).padStart(7);
function sample(i: number): void {
  gc?.();
  gc?.();
  const m = process.memoryUsage();
  console.log(
    `${String(i).padStart(7)} heap ${mb(m.heapUsed)} ext ${mb(m.external)} ab ${mb(m.arrayBuffers)} rss ${mb(m.rss)} MB`,
  );
}
await pool.query('SELECT 1');
sample(0);
const t0 = Date.now();
for (let i = 1; i <= total; i++) {
  const r = await pool.query("SELECT generate_series(1,1000) AS n, repeat('x',100) AS s");
  if (r.rowCount !== 1000) throw new Error('bad row count');
  if (i % every === 0) sample(i);
}
console.log(`${total} queries in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
await pool.end();
await store.close();
if (tmp) rmSync(tmp, { recursive: true, force: true });
