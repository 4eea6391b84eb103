/**
 * Rules worker throughput: publish N telemetry.accepted.v1 events of D devices (each device under
 * a low-level threshold rule with hysteresis, an offline rule and a maintenance counter rule) on
 * the in-process bus and time until the "rules" group has evaluated and committed them all (the
 * memory bus resolves a publish once the durable groups committed it). Levels follow a saw-tooth
 * that crosses the threshold, so alerts open and resolve, and counters create maintenance tasks.
 *
 *   tsx bench/src/rules/run.ts --help
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import pg from 'pg';
// bench/ imports the workspace packages by path (see bench/src/pipeline/run.ts).
import { createMemoryBus } from '../../../packages/bus/src/index.js';
import { loadConfig } from '../../../packages/config/src/index.js';
import { encodeMessage, TelemetryAcceptedV1 } from '../../../packages/contracts/src/index.js';
import { createRegistry, silentLogger } from '../../../packages/observability/src/index.js';
import { createStore, IN_MEMORY, type Store } from '../../../packages/store/src/index.js';
import { createRules } from '../../../services/rules/src/index.js';

const HELP = `Usage: tsx bench/src/rules/run.ts [options]

  --events N      events to publish (default 20000)
  --devices N     devices (default 50)
  --chunk N       events per publish call (default 500)
  --store S       embedded | postgres (default embedded)
  --postgres URL  server for --store postgres; a scratch database is created and dropped
  --help          this text
`;

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '20000' },
    devices: { type: 'string', default: '50' },
    chunk: { type: 'string', default: '500' },
    store: { type: 'string', default: 'embedded' },
    postgres: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log(HELP);
  process.exit(0);
}

const events = Number(args.events);
const devices = Number(args.devices);
const chunk = Number(args.chunk);

async function openStore(): Promise<{ store: Store; drop: () => Promise<void> }> {
  if (args.store === 'embedded') {
    const store = await createStore({ dataDir: IN_MEMORY, port: 0, poolSize: 1 });
    return { store, drop: () => store.close() };
  }
  const name = `bench_rules_${Date.now()}`;
  const admin = async (sql: string) => {
    const c = new pg.Client({ connectionString: args.postgres });
    await c.connect();
    await c.query(sql);
    await c.end();
  };
  await admin(`CREATE DATABASE "${name}"`);
  const url = new URL(args.postgres);
  url.pathname = `/${name}`;
  const store = await createStore({ databaseUrl: url.toString(), dataDir: IN_MEMORY, port: 0, poolSize: 8 });
  return {
    store,
    drop: async () => {
      await store.close();
      await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    },
  };
}

const { store, drop } = await openStore();
await store.migrate();
const pool = store.pool;
const tenantId = (
  await pool.query<{ id: string }>('INSERT INTO tenants (name) VALUES ($1) RETURNING id', [`bench-${randomUUID()}`])
).rows[0]?.id as string;
const assetId = (
  await pool.query<{ id: string }>(
    `INSERT INTO assets (tenant_id, type, name) VALUES ($1, 'dispenser', 'd') RETURNING id`,
    [tenantId],
  )
).rows[0]?.id;
const ids = Array.from({ length: devices }, (_, i) => `bench-${i}-${randomUUID().slice(0, 6)}`);
for (const id of ids) {
  await pool.query(`INSERT INTO devices (id, tenant_id, asset_id, state) VALUES ($1, $2, $3, 'active')`, [
    id,
    tenantId,
    assetId,
  ]);
}
await pool.query(
  `INSERT INTO rules (tenant_id, name, kind, asset_type, metric, operator, threshold, clear_threshold)
   VALUES ($1, 'Low level', 'threshold', 'dispenser', 'level', '<', 15, 20),
          ($1, 'Offline', 'offline', 'dispenser', NULL, NULL, NULL, NULL)`,
  [tenantId],
);
await pool.query(
  `INSERT INTO rules (tenant_id, name, kind, asset_type, metric, service_interval) VALUES ($1, 'Service', 'maintenance', 'dispenser', 'counter', 100)`,
  [tenantId],
);

const bus = createMemoryBus({ partitions: 3 });
const rules = createRules({
  bus,
  store,
  logger: silentLogger(),
  registry: createRegistry(),
  config: loadConfig({ OFFLINE_CHECK_INTERVAL: '1h' }),
});
await rules.start();

const t0 = Date.now() - (events / devices) * 1000; // device time: one reading per second per device, up to now
const messages = Array.from({ length: events }, (_, n) => {
  const device = ids[n % devices] as string;
  const step = Math.floor(n / devices);
  const ts = new Date(t0 + step * 1000).toISOString();
  const receivedAt = new Date().toISOString();
  return {
    key: device,
    value: encodeMessage(TelemetryAcceptedV1, {
      v: 1,
      tenantId,
      deviceId: device,
      eventId: `e${n}`,
      kind: 'telemetry',
      ts,
      receivedAt,
      source: 'mqtt',
      metrics: { level: 100 - (step % 100), counter: step },
      attributes: {},
      trace: {},
      assetId,
      late: false,
    }),
  };
});

const started = performance.now();
const inflight: Promise<void>[] = [];
for (let i = 0; i < messages.length; i += chunk)
  inflight.push(bus.publish('telemetry.accepted.v1', messages.slice(i, i + chunk)));
await Promise.all(inflight);
const seconds = (performance.now() - started) / 1000;

const count = async (sql: string) => Number((await pool.query<{ n: string }>(sql, [tenantId])).rows[0]?.n);
const alerts = await count('SELECT count(*) AS n FROM alerts WHERE tenant_id = $1');
const tasks = await count('SELECT count(*) AS n FROM tasks WHERE tenant_id = $1');
console.log(`| store | events | devices | seconds | events/s | alerts | tasks |`);
console.log(`|---|---|---|---|---|---|---|`);
console.log(
  `| ${store.kind} | ${events} | ${devices} | ${seconds.toFixed(2)} | ${Math.round(events / seconds)} | ${alerts} | ${tasks} |`,
);

await rules.close();
await bus.close();
await drop();
