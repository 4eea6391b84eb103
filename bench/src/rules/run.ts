/**
 * The rules worker alone (#23). D devices, each under four rules: a low-level threshold with
 * hysteresis whose saw-tooth fires on 1/--period of the events (an alert opens, and resolves on the
 * wrap), an offline rule (every event moves its last-heard), a maintenance counter (a task every
 * --period events) and a temperature threshold that never fires (evaluated, no effect).
 *
 * 1. Throughput: N telemetry.accepted.v1 events at once (Kafka: pre-filled before the worker
 *    starts; memory bus: published with the worker running, as the pipeline does), timed until
 *    the worker has handled them all (rules_events_total).
 * 2. Latency steps: events paced at each --rates for --step-duration, device time = publish time;
 *    publish → alert opened is the alerts.v1 message's arrival (a consumer of its own) minus the
 *    event's time, and the lag after the step is published − handled at its end, then drained.
 *
 *   tsx bench/src/rules/run.ts --help
 */
import { randomUUID } from 'node:crypto';
import { appendFile, readFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import pg from 'pg';
// bench/ imports the workspace packages by path (see bench/src/pipeline/run.ts).
import { type Bus, createBus } from '../../../packages/bus/src/index.js';
import { loadConfig } from '../../../packages/config/src/index.js';
import { AlertV1, decodeMessage, encodeMessage, TelemetryAcceptedV1 } from '../../../packages/contracts/src/index.js';
import { createRegistry, silentLogger } from '../../../packages/observability/src/index.js';
import { createStore, IN_MEMORY, type Store } from '../../../packages/store/src/index.js';
import { createRules, type RulesTopics } from '../../../services/rules/src/index.js';

const HELP = `Usage: tsx bench/src/rules/run.ts [options]

  --bus B            memory | kafka (default memory)
  --store S          embedded | postgres (default embedded)
  --events N         throughput phase: events at once (default 20000; 0 = skip)
  --devices N        devices (default 50)
  --period N         the low-level saw-tooth and the maintenance counter fire every N events of a
                     device (default 100: 1 % of the events open an alert, 1 % resolve one)
  --rates LIST       latency steps, events/s (default 1000,5000; "" = skip)
  --step-duration S  seconds per step (default 10)
  --partitions N     partitions of the bench topics (default 3)
  --brokers LIST     Kafka bootstrap brokers (default $KAFKA_BROKERS or 127.0.0.1:19092)
  --postgres URL     server for --store postgres; a scratch database is created and dropped
  --out FILE         also append the markdown report there
  --help             this text
`;

const { values: args } = parseArgs({
  options: {
    bus: { type: 'string', default: 'memory' },
    store: { type: 'string', default: 'embedded' },
    events: { type: 'string', default: '20000' },
    devices: { type: 'string', default: '50' },
    period: { type: 'string', default: '100' },
    rates: { type: 'string', default: '1000,5000' },
    'step-duration': { type: 'string', default: '10' },
    partitions: { type: 'string', default: '3' },
    brokers: { type: 'string' },
    postgres: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
    out: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  process.stdout.write(HELP);
  process.exit(0);
}

const EVENTS = Number(args.events);
const DEVICES = Number(args.devices);
const PERIOD = Number(args.period);
const RATES = (args.rates ?? '').split(',').filter(Boolean).map(Number);
const STEP_S = Number(args['step-duration']);
const PARTITIONS = Number(args.partitions);
const brokers = (args.brokers ?? process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',').filter(Boolean);

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
  const url = new URL(args.postgres as string);
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
).rows[0]?.id as string;
const ids = Array.from({ length: DEVICES }, (_, i) => `bench-${i}-${randomUUID().slice(0, 6)}`);
await pool.query(
  `INSERT INTO devices (id, tenant_id, asset_id, state) SELECT d, $2, $3, 'active' FROM unnest($1::text[]) AS d`,
  [ids, tenantId, assetId],
);
await pool.query(
  `INSERT INTO rules (tenant_id, name, kind, asset_type, metric, operator, threshold, clear_threshold)
   VALUES ($1, 'Low level', 'threshold', 'dispenser', 'level', '<', 15, 20),
          ($1, 'Hot', 'threshold', 'dispenser', 'temp', '>', 80, 70),
          ($1, 'Offline', 'offline', 'dispenser', NULL, NULL, NULL, NULL)`,
  [tenantId],
);
await pool.query(
  `INSERT INTO rules (tenant_id, name, kind, asset_type, metric, service_interval) VALUES ($1, 'Service', 'maintenance', 'dispenser', 'counter', $2)`,
  [tenantId, PERIOD],
);

const suffix = Date.now().toString(36);
const topics: RulesTopics = {
  accepted: `bench.rules.accepted.${suffix}`,
  presence: `bench.rules.presence.${suffix}`,
  alerts: `bench.rules.alerts.${suffix}`,
  tasks: `bench.rules.tasks.${suffix}`,
  commands: `bench.rules.commands.${suffix}`,
  deadLetter: `bench.rules.dead.${suffix}`,
};
const bus: Bus =
  args.bus === 'kafka'
    ? createBus({ kafkaBrokers: brokers, clientId: 'bench-rules', partitions: PARTITIONS })
    : createBus({ kafkaBrokers: [], clientId: 'bench-rules', partitions: PARTITIONS });
await bus.ensureTopics(Object.values(topics).map((name) => ({ name: name as string, partitions: PARTITIONS })));

const seq = new Map<string, number>(ids.map((id) => [id, 0]));
/** The next event of a device: level saw-tooth and counter with period PERIOD, temp never hot. */
function nextEvent(device: string, ts: number) {
  const step = seq.get(device) ?? 0;
  seq.set(device, step + 1);
  const iso = new Date(ts).toISOString();
  return {
    key: device,
    value: encodeMessage(TelemetryAcceptedV1, {
      v: 1,
      tenantId,
      deviceId: device,
      eventId: `e${step}`,
      kind: 'telemetry',
      ts: iso,
      receivedAt: new Date(Math.max(ts, Date.now())).toISOString(),
      source: 'mqtt',
      metrics: { level: 100 - (((step * 100) / PERIOD) % 100), counter: step, temp: 20 + (step % 10) },
      attributes: {},
      trace: {},
      assetId,
      late: false,
    }),
  };
}

const registry = createRegistry();
const rules = createRules({
  bus,
  store,
  logger: silentLogger(),
  registry,
  config: loadConfig({ OFFLINE_CHECK_INTERVAL: '1h' }),
  topics,
  groupId: `bench-rules-${suffix}`,
});
async function handled(): Promise<number> {
  const values = (await registry.getSingleMetric('rules_events_total')?.get())?.values ?? [];
  return values.filter((v) => v.labels.topic === 'telemetry').reduce((n, v) => n + v.value, 0);
}
/** Telemetry batches the worker committed and their summed seconds (rules_batch_seconds). */
async function batches(): Promise<{ n: number; s: number }> {
  const values = ((await registry.getSingleMetric('rules_batch_seconds')?.get())?.values ?? []) as {
    metricName?: string;
    labels: Record<string, unknown>;
    value: number;
  }[];
  const of = (name: string) =>
    values.find((v) => v.metricName === name && v.labels.topic === 'telemetry' && v.labels.le === undefined)?.value ??
    0;
  return { n: of('rules_batch_seconds_count'), s: of('rules_batch_seconds_sum') };
}
const batchStats = (a: { n: number; s: number }, b: { n: number; s: number }, events: number) =>
  `${b.n - a.n} batches, mean ${Math.round(events / Math.max(1, b.n - a.n))} events, ${(((b.s - a.s) * 1000) / Math.max(1, b.n - a.n)).toFixed(0)} ms`;

async function waitHandled(n: number, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while ((await handled()) < n) {
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 10));
  }
  return true;
}

// publish → alert opened: our own consumer of alerts.v1, not one the worker's commit waits for
const latencies: number[] = [];
const alertsSub = await bus.subscribe({
  groupId: `bench-alerts-${suffix}`,
  topics: [topics.alerts],
  durable: false,
  handler: async (batch) => {
    const at = Date.now();
    for (const m of batch.messages) {
      const alert = decodeMessage(AlertV1, m.value);
      if (alert.change === 'opened') latencies.push(at - Date.parse(alert.openedAt));
    }
  },
});
await alertsSub.ready;

/**
 * CPU seconds of this process (every thread: the embedded database's worker too) and of the
 * PostgreSQL backends serving the bench database (/proc): on a shared machine the CPU an event
 * costs is steadier than the wall time it takes.
 */
async function cpuSeconds(): Promise<{ self: number; db: number }> {
  const u = process.cpuUsage();
  let db = 0;
  if (store.kind !== 'embedded') {
    const { rows: pids } = await pool.query<{ pid: number }>(
      'SELECT pid FROM pg_stat_activity WHERE datname = current_database()',
    );
    for (const { pid } of pids) {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      db += (Number(f[11]) + Number(f[12])) / 100; // utime + stime, clock ticks
    }
  }
  return { self: (u.user + u.system) / 1e6, db };
}
const cpuPer1k = (a: { self: number; db: number }, b: { self: number; db: number }, n: number) =>
  `${(((b.self - a.self) * 1e6) / n).toFixed(0)} / ${store.kind === 'embedded' ? '-' : (((b.db - a.db) * 1e6) / n).toFixed(0)}`;

const rows: string[] = [];
const load = () => loadavg()[0]?.toFixed(1);
let published = 0;

// 1. throughput
if (EVENTS > 0) {
  const t0 = Date.now() - (EVENTS / DEVICES) * 1000; // device time: one reading per second per device, up to now
  const messages = Array.from({ length: EVENTS }, (_, n) => {
    const device = ids[n % DEVICES] as string;
    return nextEvent(device, t0 + Math.floor(n / DEVICES) * 1000);
  });
  const loadBefore = load();
  let started: number;
  let cpu0 = await cpuSeconds();
  const b0 = await batches();
  if (args.bus === 'kafka') {
    for (let i = 0; i < messages.length; i += 2000) await bus.publish(topics.accepted, messages.slice(i, i + 2000));
    published += EVENTS;
    await rules.start();
    while ((await handled()) === 0) await new Promise((r) => setImmediate(r));
    started = performance.now();
    cpu0 = await cpuSeconds();
  } else {
    await rules.start();
    started = performance.now();
    const inflight: Promise<void>[] = [];
    for (let i = 0; i < messages.length; i += 500)
      inflight.push(bus.publish(topics.accepted, messages.slice(i, i + 500)));
    published += EVENTS;
    await Promise.all(inflight);
  }
  await waitHandled(published, 600_000);
  const seconds = (performance.now() - started) / 1000;
  const cpu1 = await cpuSeconds();
  const b1 = await batches();
  const count = async (sql: string) => Number((await pool.query<{ n: string }>(sql, [tenantId])).rows[0]?.n);
  const alerts = await count('SELECT count(*) AS n FROM alerts WHERE tenant_id = $1');
  const tasks = await count('SELECT count(*) AS n FROM tasks WHERE tenant_id = $1');
  rows.push(
    `| throughput | ${EVENTS} at once | ${Math.round(EVENTS / seconds)} | ${seconds.toFixed(2)} s | - | - | alerts ${alerts}, tasks ${tasks}; ${batchStats(b0, b1, EVENTS)} | ${cpuPer1k(cpu0, cpu1, EVENTS)} | ${loadBefore}–${load()} |`,
  );
} else {
  await rules.start();
}

// 2. latency steps
for (const rate of RATES) {
  latencies.length = 0;
  const loadBefore = load();
  const cpu0 = await cpuSeconds();
  const b0 = await batches();
  const start = Date.now();
  const total = rate * STEP_S;
  let sent = 0;
  let device = 0;
  const inflight = new Set<Promise<void>>();
  while (sent < total) {
    // at most 1000 per publish: a late loop must not make one Kafka request past the broker's size limit
    const due = Math.min(total, sent + 1000, Math.floor(((Date.now() - start) / 1000) * rate));
    if (due > sent) {
      const now = Date.now();
      const batch = [];
      for (; sent < due; sent++) batch.push(nextEvent(ids[device++ % DEVICES] as string, now));
      const p = bus.publish(topics.accepted, batch).finally(() => inflight.delete(p));
      inflight.add(p);
      published += batch.length;
      if (sent < Math.floor(((Date.now() - start) / 1000) * rate)) continue;
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  await Promise.all(inflight);
  const offeredS = (Date.now() - start) / 1000;
  const lag = published - (await handled());
  const drainStart = Date.now();
  await waitHandled(published, 600_000);
  const drainS = (Date.now() - drainStart) / 1000;
  const cpu1 = await cpuSeconds();
  const b1 = await batches();
  await new Promise((r) => setTimeout(r, 300)); // the last alerts.v1 messages
  const sorted = [...latencies].sort((a, b) => a - b);
  const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
  rows.push(
    `| step | ${rate}/s × ${STEP_S} s (offered ${Math.round(total / offeredS)}/s) | ${Math.round(total / (offeredS + drainS))} | lag ${lag}, drained in ${drainS.toFixed(2)} s | ${q(0.5)} / ${q(0.99)} ms | ${sorted.length} | ${batchStats(b0, b1, total)} | ${cpuPer1k(cpu0, cpu1, total)} | ${loadBefore}–${load()} |`,
  );
}

const title = `rules worker, ${args.bus} bus + ${store.kind} store, ${DEVICES} devices × 4 rules, period ${PERIOD}, ${PARTITIONS} partitions`;
const report = [
  `#### ${title}`,
  '',
  '| phase | load | handled events/s | time / lag after the step | publish → alert opened p50 / p99 | alerts opened | rows; batches | CPU ms per 1k events: bench process / PostgreSQL | load avg |',
  '|---|---|---:|---|---:|---:|---|---:|---|',
  ...rows,
  '',
].join('\n');
process.stdout.write(`${report}\n`);
if (args.out) await appendFile(args.out, `${report}\n`);

await rules.close();
await alertsSub.close();
await bus.close();
await drop();
