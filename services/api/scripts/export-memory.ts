/**
 * Measures the streaming CSV export: a year of 1-minute data of one device (525,600 rows) through
 * GET /api/telemetry/export.csv, with the process's peak RSS/heap while it streams.
 *   pnpm tsx services/api/scripts/export-memory.ts [--backend postgres|embedded] [--rows N]
 * Not a test (no timed assertions): prints figures.
 */
import { execFile } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { createPasswordHasher, FAST_SCRYPT } from '@telemetry/auth';
import { createMemoryBus } from '@telemetry/bus';
import { loadConfig } from '@telemetry/config';
import { createRegistry, silentLogger } from '@telemetry/observability';
import { createStore, IN_MEMORY } from '@telemetry/store';
import pg from 'pg';
import { createApi } from '../src/index.js';
import { createUser } from '../src/users/service.js';

const { values } = parseArgs({
  options: { backend: { type: 'string', default: 'postgres' }, rows: { type: 'string', default: '525600' } },
});
const rows = Number(values.rows);
// (not @telemetry/testing: it needs the vitest worker)
const admin = 'postgres://postgres@127.0.0.1:5432/postgres';
const dbName = `export_bench_${process.pid}`;
const sql = async (text: string) => {
  const c = new pg.Client(admin);
  await c.connect();
  await c.query(text).finally(() => c.end());
};
if (values.backend === 'postgres') await sql(`CREATE DATABASE ${dbName}`);
const store = await createStore({
  databaseUrl: values.backend === 'postgres' ? admin.replace(/postgres$/, dbName) : undefined,
  dataDir: IN_MEMORY,
  port: 0,
  poolSize: 4,
});
await store.migrate();
const test = {
  store,
  drop: async () => {
    await store.close();
    if (values.backend === 'postgres') await sql(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  },
};
const pool = store.pool;
try {
  const t = await pool.query<{ id: string }>("INSERT INTO tenants (name) VALUES ('bench') RETURNING id");
  const tenantId = t.rows[0]?.id as string;
  await pool.query("INSERT INTO devices (id, tenant_id, state) VALUES ('bench-dev', $1, 'active')", [tenantId]);
  const fill = Date.now();
  await pool.query(
    `INSERT INTO telemetry_raw (tenant_id, device_id, event_id, ts, received_at, kind, source, metrics)
     SELECT $1, 'bench-dev', 'e-' || g, timestamptz '2024-01-01' + g * interval '1 minute', now(), 'telemetry', 'mqtt',
            jsonb_build_object('temp', 20 + (g % 100) / 10.0, 'humidity', 40 + g % 30)
     FROM generate_series(0, $2 - 1) g`,
    [tenantId, rows],
  );
  await pool.query(
    `INSERT INTO rollup_1h (tenant_id, device_id, metric, bucket, count, sum, min, max, first_ts, first_value, last_ts, last_value)
     SELECT $1, 'bench-dev', m, timestamptz '2024-01-01' + g * interval '1 hour', 60, 0, 0, 0, now(), 0, now(), 0
     FROM generate_series(0, $2 / 60) g, unnest(ARRAY['temp', 'humidity']) m`,
    [tenantId, rows],
  );
  if (process.env.ANALYZE !== '0') await pool.query('ANALYZE telemetry_raw');
  console.log(`filled ${rows} rows in ${Date.now() - fill} ms (${values.backend})`);

  const passwords = createPasswordHasher(FAST_SCRYPT);
  await test.store.withTransaction((c) =>
    createUser(c, passwords, null, { username: 'bench', password: 'bench-password', role: 'operator', tenantId }),
  );
  const api = createApi({
    store: test.store,
    bus: createMemoryBus({ partitions: 1 }),
    logger: silentLogger(),
    registry: createRegistry(),
    config: loadConfig({ NODE_ENV: 'test', DATA_DIR: 'memory://', JWT_SECRET: 'x'.repeat(40) }),
    passwords,
    deviceRoutes: false,
  });
  const server = api.app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const login = await fetch(`${base}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"username":"bench","password":"bench-password"}',
  });
  const { accessToken } = (await login.json()) as { accessToken: string };

  global.gc?.();
  const before = process.memoryUsage();
  let peakRss = before.rss;
  let peakHeap = before.heapUsed;
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  }, 20);
  if (process.env.EXPORT_CLIENT === 'curl') {
    // an external client, to tell the server's cost from the in-process reader's
    const s0 = Date.now();
    const out = await new Promise<string>((resolve) => {
      execFile(
        'curl',
        [
          '-s',
          '-o',
          '/dev/null',
          '-w',
          '%{size_download}',
          '-H',
          `authorization: Bearer ${accessToken}`,
          `${base}/api/telemetry/export.csv?deviceId=bench-dev&from=2024-01-01T00:00:00Z&to=2025-01-01T00:00:00Z`,
        ],
        (_e, stdout) => resolve(stdout),
      );
    });
    console.log(`curl: ${out} bytes in ${Date.now() - s0} ms`);
  }
  const started = Date.now();
  const res = await fetch(
    `${base}/api/telemetry/export.csv?deviceId=bench-dev&from=2024-01-01T00:00:00Z&to=2025-01-01T00:00:00Z`,
    {
      headers: { authorization: `Bearer ${accessToken}` },
    },
  );
  let bytes = 0;
  let lines = 0;
  const reader = res.body!.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.length;
    for (const b of value) if (b === 10) lines++;
  }
  const ms = Date.now() - started;
  clearInterval(sampler);
  const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
  console.log(
    `exported ${lines - 1} rows, ${mb(bytes)} of CSV in ${ms} ms (${Math.round(((lines - 1) / ms) * 1000)} rows/s)`,
  );
  console.log(
    `RSS before ${mb(before.rss)}, peak ${mb(peakRss)} (+${mb(peakRss - before.rss)}); heap before ${mb(before.heapUsed)}, peak ${mb(peakHeap)}`,
  );
  console.log('(client and server share this process: the client only counts bytes)');
  server.close();
  server.closeAllConnections();
} finally {
  await test.drop();
}
