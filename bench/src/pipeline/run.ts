/**
 * Pipeline throughput: pre-fill a Kafka topic with N telemetry.raw.v1 events, start the pipeline
 * worker on it, and time Kafka → store (dedupe + raw rows + 1m/1h/1d rollups + device state, one
 * transaction per batch) until every event is stored. Against PostgreSQL it also times a COPY of the
 * same rows into a copy of telemetry_raw: the ceiling of what the database ingests with no work.
 *
 *   tsx bench/src/pipeline/run.ts --help
 */
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
// bench/ has no package.json of its own yet: the workspace packages are imported by path.
import { type Bus, createBus } from '../../../packages/bus/src/index.js';
import { loadConfig } from '../../../packages/config/src/index.js';
import type { TelemetryRawV1 } from '../../../packages/contracts/src/index.js';
import { createRegistry, silentLogger } from '../../../packages/observability/src/index.js';
import { createStore, IN_MEMORY, type Store } from '../../../packages/store/src/index.js';
import { createPipeline } from '../../../services/pipeline/src/index.js';

const HELP = `Usage: tsx bench/src/pipeline/run.ts [options]

  --events N        events to pre-fill (default 20000)
  --devices N       devices the events are spread over (default 50)
  --duplicates F    extra copies, as a fraction of the events (default 0)
  --batch N         pipeline batch size, PIPELINE_BATCH_SIZE (default 1000)
  --partitions N    partitions of the bench topic (default 3)
  --store S         postgres | embedded | both (default both)
  --brokers LIST    Kafka bootstrap brokers (default $KAFKA_BROKERS or 127.0.0.1:19092)
  --postgres URL    server for the postgres run; a scratch database is created and dropped
                    (default postgres://postgres@127.0.0.1:5432/postgres)
  --out FILE        also write the markdown report there
  --help            this text
`;

interface RunResult {
  store: string;
  events: number;
  seconds: number;
  eventsPerSecond: number;
  batches: number;
  meanBatch: number;
  copySeconds?: number;
  copyPerSecond?: number;
}

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '20000' },
    devices: { type: 'string', default: '50' },
    duplicates: { type: 'string', default: '0' },
    batch: { type: 'string', default: '1000' },
    partitions: { type: 'string', default: '3' },
    store: { type: 'string', default: 'both' },
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

const N = positive(args.events, 'events');
const DEVICES = positive(args.devices, 'devices');
const BATCH = positive(args.batch, 'batch');
const PARTITIONS = positive(args.partitions, 'partitions');
const DUPLICATES = Number(args.duplicates);
const brokers = (args.brokers ?? process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',').filter(Boolean);
const stores = args.store === 'both' ? ['postgres', 'embedded'] : [args.store as string];
const TENANT = '00000000-0000-4000-8000-00000000be4c';

function positive(v: string | undefined, name: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer`);
  return n;
}

/** N events over DEVICES devices, one per device per second, ending now. */
function makeEvents(): TelemetryRawV1[] {
  const now = Date.now();
  const perDevice = Math.ceil(N / DEVICES);
  const out: TelemetryRawV1[] = [];
  for (let i = 0; i < N; i++) {
    const device = i % DEVICES;
    const seq = Math.floor(i / DEVICES);
    const ts = new Date(now - (perDevice - seq) * 1000).toISOString();
    out.push({
      v: 1,
      tenantId: TENANT,
      deviceId: `bench-${device}`,
      eventId: `bench-${device}-${seq}`,
      kind: 'telemetry',
      ts,
      receivedAt: ts,
      source: 'mqtt',
      metrics: { temperature: 20 + ((seq * 7) % 100) / 10, humidity: 40 + (seq % 30), counter: seq },
      attributes: {},
      trace: {},
    });
  }
  return out;
}

/** Messages published: the events plus the duplicate copies. */
function messages(events: TelemetryRawV1[]): number {
  return events.length + Math.round(events.length * DUPLICATES);
}

async function counter(registry: ReturnType<typeof createRegistry>, name: string): Promise<number> {
  const values = (await registry.getSingleMetric(name)?.get())?.values ?? [];
  return values.reduce((n, v) => n + v.value, 0);
}

async function prefill(bus: Bus, topic: string, events: TelemetryRawV1[]): Promise<void> {
  await bus.ensureTopics([{ name: topic, partitions: PARTITIONS }]);
  const all = [...events, ...events.slice(0, messages(events) - events.length)];
  for (let i = 0; i < all.length; i += 2000) {
    await bus.publish(
      topic,
      all.slice(i, i + 2000).map((e) => ({ key: e.deviceId, value: JSON.stringify(e) })),
    );
  }
}

async function openStore(kind: string): Promise<{ store: Store; drop: () => Promise<void> }> {
  if (kind === 'embedded') {
    const store = await createStore({ dataDir: IN_MEMORY, port: 0, poolSize: 1 }, { applicationName: 'bench' });
    await store.migrate();
    return { store, drop: () => store.close() };
  }
  const admin = await createStore({ databaseUrl: args.postgres, dataDir: IN_MEMORY, port: 0, poolSize: 1 });
  const name = `bench_pipeline_${Date.now().toString(36)}`;
  await admin.pool.query(`CREATE DATABASE "${name}"`);
  const url = new URL(args.postgres as string);
  url.pathname = `/${name}`;
  const store = await createStore(
    { databaseUrl: url.toString(), dataDir: IN_MEMORY, port: 0, poolSize: 10 },
    { applicationName: 'bench' },
  );
  await store.migrate();
  return {
    store,
    drop: async () => {
      await store.close();
      await admin.pool.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.close();
    },
  };
}

async function runOne(kind: string, events: TelemetryRawV1[]): Promise<RunResult> {
  const bus = createBus({ kafkaBrokers: brokers, clientId: 'bench-pipeline', partitions: PARTITIONS });
  const { store, drop } = await openStore(kind);
  const suffix = `${kind}_${Date.now().toString(36)}`;
  const topics = { raw: `bench.raw.${suffix}`, accepted: `bench.accepted.${suffix}`, dead: `bench.dead.${suffix}` };
  try {
    await prefill(bus, topics.raw, events);
    const registry = createRegistry();
    const config = loadConfig({ PIPELINE_BATCH_SIZE: String(BATCH), LATE_WINDOW: '30d' });
    let started: number | undefined;
    const pipeline = createPipeline({
      bus,
      store,
      logger: silentLogger(),
      registry,
      config,
      topics,
      groupId: `bench-${suffix}`,
      maintenanceIntervalMs: 0,
      // used as a probe, not a fault: the clock starts at the first batch, not at the group join
      faults: {
        beforeInsert: () => {
          started ??= performance.now();
        },
      },
    });
    await pipeline.start();
    const total = messages(events);
    for (;;) {
      const handled =
        (await counter(registry, 'pipeline_events_stored_total')) +
        (await counter(registry, 'pipeline_events_duplicate_total'));
      if (handled >= total) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const seconds = (performance.now() - (started ?? 0)) / 1000;
    await pipeline.close();
    // prom-client histogram values carry the series name (_bucket, _sum, _count) in metricName
    const hist = ((await registry.getSingleMetric('pipeline_batch_size')?.get())?.values ?? []) as {
      metricName?: string;
      value: number;
    }[];
    const count = hist.find((v) => v.metricName === 'pipeline_batch_size_count')?.value ?? 0;
    const sum = hist.find((v) => v.metricName === 'pipeline_batch_size_sum')?.value ?? 0;
    const result: RunResult = {
      store: `${kind}${store.capabilities.timescale ? ' (TimescaleDB)' : ''}`,
      events: events.length,
      seconds,
      eventsPerSecond: events.length / seconds,
      batches: count,
      meanBatch: count ? sum / count : 0,
    };
    if (kind === 'postgres') Object.assign(result, await copyCeiling(store, events));
    return result;
  } finally {
    await bus.close();
    await drop();
  }
}

/** COPY of the same rows into an empty copy of telemetry_raw (indexes included), from a server-side file. */
async function copyCeiling(
  store: Store,
  events: TelemetryRawV1[],
): Promise<{ copySeconds: number; copyPerSecond: number }> {
  const file = join(tmpdir(), `bench-copy-${process.pid}.csv`);
  const csv = events
    .map((e) =>
      [
        e.tenantId,
        e.deviceId,
        e.eventId,
        e.ts,
        e.receivedAt,
        e.kind,
        e.source,
        JSON.stringify(e.metrics),
        '{}',
        'f',
        '',
      ]
        .map((c) => (/[",\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c))
        .join(','),
    )
    .join('\n');
  await writeFile(file, `${csv}\n`, { mode: 0o644 });
  await store.pool.query('CREATE TABLE bench_copy (LIKE telemetry_raw INCLUDING ALL)');
  const started = performance.now();
  await store.pool.query(`COPY bench_copy FROM '${file}' WITH (FORMAT csv)`);
  const copySeconds = (performance.now() - started) / 1000;
  return { copySeconds, copyPerSecond: events.length / copySeconds };
}

function report(results: RunResult[]): string {
  const lines = [
    `Pipeline bench: ${N} events over ${DEVICES} devices, ${Math.round(DUPLICATES * 100)} % extra duplicates, ` +
      `batch ${BATCH}, ${PARTITIONS} partitions, Kafka ${brokers.join(',')}.`,
    '',
    '| store | events | seconds | events/s | batches | mean batch | COPY s | COPY rows/s |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...results.map(
      (r) =>
        `| ${r.store} | ${r.events} | ${r.seconds.toFixed(2)} | ${Math.round(r.eventsPerSecond)} | ${r.batches} | ` +
        `${r.meanBatch.toFixed(0)} | ${r.copySeconds?.toFixed(2) ?? '-'} | ${r.copyPerSecond ? Math.round(r.copyPerSecond) : '-'} |`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}

const events = makeEvents();
const results: RunResult[] = [];
for (const kind of stores) {
  if (kind !== 'postgres' && kind !== 'embedded') throw new Error('--store must be postgres, embedded or both');
  results.push(await runOne(kind, events));
}
const text = report(results);
process.stdout.write(text);
if (args.out) await writeFile(args.out, text);
