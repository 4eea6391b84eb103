import { appendFile, cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// Relative, not @telemetry/testing: that package depends on this one, and a workspace
// dependency back would be a cycle.
import { createTestStore, type TestStore } from '../../testing/src/store.js';
import { createStore, startEmbeddedStore, valuesList } from '../src/index.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/migrations/', import.meta.url));
const MiB = 1024 * 1024;

/** A copy of the fixture migrations, so a test can add or edit one. */
async function migrationsCopy(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'store-migrations-'));
  await cp(FIXTURES, dir, { recursive: true });
  return dir;
}

describe.each(['embedded', 'postgres'] as const)('store contract: %s', (backend) => {
  let test: TestStore;
  let dir: string;

  beforeAll(async () => {
    dir = await migrationsCopy();
    test = await createTestStore(backend, { migrate: false, migrationsDir: dir });
  });

  afterAll(async () => {
    await test?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('has TimescaleDB on embedded only (the machine PostgreSQL has none)', () => {
    expect(test.store.kind).toBe(backend);
    expect(test.store.capabilities.timescale).toBe(backend === 'embedded');
    if (backend === 'embedded') expect(test.store.capabilities.version).toMatch(/^2\./);
  });

  it('applies migrations in order, the .timescale.sql one only with TimescaleDB, and once', async () => {
    const timescale = test.store.capabilities.timescale;
    expect(await test.store.migrate()).toEqual([
      '0001_readings.sql',
      ...(timescale ? ['0001_readings.timescale.sql'] : []),
      '0002_blobs.sql',
    ]);
    expect(await test.store.migrate()).toEqual([]);

    const { rows } = await test.store.pool.query<{ name: string; checksum: string }>(
      'SELECT name, checksum FROM schema_migrations ORDER BY name',
    );
    expect(rows.map((r) => r.name)).toHaveLength(timescale ? 3 : 2);
    expect(rows.every((r) => /^[0-9a-f]{64}$/.test(r.checksum))).toBe(true);

    // The hypertable exists exactly where the .timescale.sql migration ran.
    const hypertable = timescale
      ? "SELECT 1 FROM timescaledb_information.hypertables WHERE hypertable_name = 'readings'"
      : "SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'";
    expect((await test.store.pool.query(hypertable)).rowCount).toBe(timescale ? 1 : 0);
  });

  it('serializes concurrent migrators: a new migration runs exactly once', async () => {
    await writeFile(join(dir, '0003_counters.sql'), 'CREATE TABLE counters (name text PRIMARY KEY, n int NOT NULL);\n');
    const [a, b] = await Promise.all([test.store.migrate(), test.store.migrate()]);
    expect([...(a ?? []), ...(b ?? [])]).toEqual(['0003_counters.sql']);
  });

  it('refuses to run when an applied migration was edited', async () => {
    const file = join(dir, '0002_blobs.sql');
    const original = await readFile(file, 'utf8');
    await appendFile(file, 'CREATE INDEX ON blobs (body);\n');
    try {
      await expect(test.store.migrate()).rejects.toThrow(/checksum mismatch: 0002_blobs\.sql .*new migration/);
    } finally {
      await writeFile(file, original);
    }
    expect(await test.store.migrate()).toEqual([]);
  });

  it('round-trips rows, with int8 counts as numbers', async () => {
    const t0 = Date.parse('2024-05-01T10:00:00Z');
    const rows = [0, 1, 2].map((i) => ['dev-rt', new Date(t0 + i * 60_000), i * 1.5, `n${i}`]);
    await test.store.pool.query(
      `INSERT INTO readings (device_id, ts, value, note) VALUES ${valuesList(rows, 4)}`,
      rows.flat(),
    );
    const { rows: back } = await test.store.pool.query(
      "SELECT ts, value, note FROM readings WHERE device_id = 'dev-rt' ORDER BY ts",
    );
    expect(back).toEqual([
      { ts: new Date(t0), value: 0, note: 'n0' },
      { ts: new Date(t0 + 60_000), value: 1.5, note: 'n1' },
      { ts: new Date(t0 + 120_000), value: 3, note: 'n2' },
    ]);
    const count = await test.store.pool.query("SELECT count(*) AS n FROM readings WHERE device_id = 'dev-rt'");
    expect(count.rows[0]).toEqual({ n: 3 });
  });

  it('fails a query whose int8 would lose digits, and keeps working', async () => {
    await expect(test.store.pool.query('SELECT 9007199254740993::int8 AS n')).rejects.toThrow(/MAX_SAFE_INTEGER/);
    expect((await test.store.pool.query('SELECT 1::int8 AS n')).rows[0]).toEqual({ n: 1 });
  });

  it('rolls a failed transaction back and releases its client', async () => {
    const boom = new Error('boom');
    await expect(
      test.store.withTransaction(async (client) => {
        await client.query("INSERT INTO readings (device_id, ts, value) VALUES ('dev-rb', '2024-05-01T00:00:00Z', 1)");
        throw boom;
      }),
    ).rejects.toBe(boom);
    // Embedded has one connection: this would hang if the client had not been released.
    const committed = await test.store.withTransaction(async (client) => {
      await client.query("INSERT INTO readings (device_id, ts, value) VALUES ('dev-ok', '2024-05-01T00:00:00Z', 1)");
      return 'done';
    });
    expect(committed).toBe('done');
    const { rows } = await test.store.pool.query<{ device_id: string }>(
      "SELECT device_id FROM readings WHERE device_id IN ('dev-rb', 'dev-ok')",
    );
    expect(rows).toEqual([{ device_id: 'dev-ok' }]);
  });

  it('carries several MiB in one query', async () => {
    const body = 'x'.repeat(5 * MiB);
    const { rows } = await test.store.pool.query<{ id: number; len: number }>(
      'INSERT INTO blobs (body) VALUES ($1) RETURNING id, length(body) AS len',
      [body],
    );
    expect(rows[0]?.len).toBe(5 * MiB);
    const back = await test.store.pool.query<{ body: string }>('SELECT body FROM blobs WHERE id = $1', [rows[0]?.id]);
    expect(back.rows[0]?.body === body).toBe(true);

    // One Bind message of ~2.6 MiB: 5000 rows × 4 params, far past pglite-socket's old 64 KiB limit.
    const t0 = Date.parse('2024-06-01T00:00:00Z');
    const many = Array.from({ length: 5000 }, (_, i) => ['dev-big', new Date(t0 + i * 1000), i, 'y'.repeat(500)]);
    await test.store.pool.query(
      `INSERT INTO readings (device_id, ts, value, note) VALUES ${valuesList(many, 4)}`,
      many.flat(),
    );
    const count = await test.store.pool.query(
      "SELECT count(*) AS n, sum(value) AS s FROM readings WHERE device_id = 'dev-big'",
    );
    expect(count.rows[0]).toEqual({ n: 5000, s: (4999 * 5000) / 2 });
  });

  it('buckets with date_bin', async () => {
    const { rows } = await test.store.pool.query<{ bucket: Date; n: number }>(
      `SELECT date_bin('1 hour', ts, TIMESTAMPTZ '2000-01-01') AS bucket, count(*) AS n
         FROM readings WHERE device_id = 'dev-big' GROUP BY 1 ORDER BY 1`,
    );
    // 5000 s from midnight: 3600 rows in the first hour, 1400 in the second.
    expect(rows).toEqual([
      { bucket: new Date('2024-06-01T00:00:00Z'), n: 3600 },
      { bucket: new Date('2024-06-01T01:00:00Z'), n: 1400 },
    ]);
  });

  it('has time_bucket exactly when TimescaleDB is there', async () => {
    const query = test.store.pool.query<{ bucket: Date; n: number }>(
      `SELECT time_bucket('1 hour', ts) AS bucket, count(*) AS n
         FROM readings WHERE device_id = 'dev-big' GROUP BY 1 ORDER BY 1`,
    );
    if (!test.store.capabilities.timescale) {
      await expect(query).rejects.toThrow(/function time_bucket.* does not exist/);
      return;
    }
    expect((await query).rows).toEqual([
      { bucket: new Date('2024-06-01T00:00:00Z'), n: 3600 },
      { bucket: new Date('2024-06-01T01:00:00Z'), n: 1400 },
    ]);
  });
});

describe('embedded store on disk', () => {
  let dataDir: string;
  let blocker: Server | undefined;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'store-data-'));
  });

  afterAll(async () => {
    await new Promise((resolve) => (blocker ? blocker.close(resolve) : resolve(undefined)));
    await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps its rows across a clean restart, and refuses a second opener meanwhile', async () => {
    const config = { dataDir: join(dataDir, 'db'), port: 0, poolSize: 1 };
    const first = await createStore(config, { migrationsDir: FIXTURES });
    try {
      expect(await first.migrate()).toContain('0001_readings.timescale.sql');
      await first.pool.query(
        "INSERT INTO readings (device_id, ts, value) VALUES ('dev-p', '2024-01-01T00:00:00Z', 42)",
      );
      await expect(createStore(config, { migrationsDir: FIXTURES })).rejects.toThrow(
        /data directory .* is in use by process/,
      );
    } finally {
      await first.close();
    }

    const second = await createStore(config, { migrationsDir: FIXTURES });
    try {
      expect(await second.migrate()).toEqual([]);
      const { rows } = await second.pool.query('SELECT device_id, value FROM readings');
      expect(rows).toEqual([{ device_id: 'dev-p', value: 42 }]);
    } finally {
      await second.close();
    }
    // two opens of an on-disk database: ~50 s each were seen on a loaded 2-core machine
  }, 240_000);

  it('names the port when it is taken', async () => {
    const server = createServer();
    blocker = server;
    const port = await new Promise<number>((resolve) =>
      server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
    );
    await expect(
      startEmbeddedStore({ sql: { dir: await mkdtemp(join(tmpdir(), 'store-port-')), port } }),
    ).rejects.toThrow(new RegExp(`port ${port} on 127\\.0\\.0\\.1 is in use.*STORE_PORT`));
  });
});
