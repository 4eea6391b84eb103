/**
 * Realtime gateway benchmark: publish → socket latency and fan-out (N clients × M devices).
 *
 *   pnpm tsx bench/src/realtime/run.ts --help
 *
 * The gateway runs in this process on an embedded store and the memory bus (or Kafka with
 * --kafka); the clients run in a forked process. Every reading carries its publish time in
 * trace.device, so latency = receive time − publish time on one machine clock.
 */
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { dirname, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  type Bus,
  createBus,
  createMemoryBus,
  createStore,
  encodeMessage,
  IN_MEMORY,
  metricValue,
  type Store,
  seedWorld,
  startInstance,
  TelemetryAcceptedV1,
  Topics,
  tokenFor,
  type World,
} from '../../../services/realtime/test/bench-deps.js';
import type { FromClients, ToClients } from './clients.js';
import type { percentiles } from './stats.js';

const HELP = `Usage: pnpm tsx bench/src/realtime/run.ts [options]

Runs scenarios NxM@R (N clients, M devices, R readings/s in total) against one realtime gateway
and reports publish→socket latency (p50/p90/p99/max) and fan-out (deliveries/s).

Options:
  --scenarios LIST   comma-separated NxM@R     (default: 1x1@50,100x100@500,1000x10@20,50x10@500:coalesce)
                     ":coalesce" runs with the default rate limit (REALTIME_MAX_UPDATES_PER_SEC=4)
                     instead of an unlimited one, to show coalescing at work
  --duration SEC     publishing time per scenario  (default: 5)
  --kafka            use Kafka (KAFKA_BROKERS, default 127.0.0.1:19092) instead of the memory bus
  --out FILE         also write the results as markdown (e.g. bench/results/realtime.md)
  --help             this text
`;

interface Scenario {
  clients: number;
  devices: number;
  rate: number;
  coalesce: boolean;
  label: string;
}

interface Result extends Scenario {
  published: number;
  seconds: number;
  received: number;
  expected: number;
  deliveriesPerSec: number;
  latencyMs: ReturnType<typeof percentiles>;
  coalesced: number;
  slowDisconnects: number;
  disconnects: number;
  gatewayCpuPct: number;
}

function parseScenario(s: string): Scenario {
  const m = /^(\d+)x(\d+)@(\d+)(:coalesce)?$/.exec(s.trim());
  if (!m) throw new Error(`bad scenario "${s}": expected NxM@R, e.g. 100x100@500`);
  return { clients: Number(m[1]), devices: Number(m[2]), rate: Number(m[3]), coalesce: Boolean(m[4]), label: s.trim() };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      scenarios: { type: 'string', default: '1x1@50,100x100@500,1000x10@20,50x10@500:coalesce' },
      duration: { type: 'string', default: '5' },
      kafka: { type: 'boolean', default: false },
      out: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const scenarios = (values.scenarios ?? '').split(',').map(parseScenario);
  const durationMs = Number(values.duration) * 1000;
  const brokers = (process.env.KAFKA_BROKERS || '127.0.0.1:19092').split(',');

  const store = await createStore({ dataDir: IN_MEMORY, port: 0, poolSize: 1 }, { applicationName: 'bench' });
  await store.migrate();
  const world = await seedWorld(store);
  const bus: Bus = values.kafka
    ? createBus({ kafkaBrokers: brokers, clientId: `bench-realtime-${randomUUID()}`, partitions: 6 })
    : createMemoryBus({ partitions: 6 });
  const results: Result[] = [];
  try {
    for (const scenario of scenarios) {
      const devices = await seedDevices(store, world, scenario.devices);
      const result = await runScenario({ bus, store, world, devices, scenario, durationMs });
      results.push(result);
      log(
        `${scenario.label}: ${result.deliveriesPerSec.toFixed(0)} deliveries/s, latency p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms, received ${result.received}/${result.expected}`,
      );
    }
  } finally {
    await bus.close();
    await store.close();
  }
  const md = markdown(results, { kafka: values.kafka, durationMs });
  process.stdout.write(`\n${md}`);
  if (values.out) {
    await mkdir(dirname(resolve(values.out)), { recursive: true });
    await writeFile(values.out, md);
    log(`written to ${values.out}`);
  }
}

async function seedDevices(store: Store, w: World, count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, (_, i) => `bench-${i}-${randomUUID().slice(0, 8)}`);
  await store.pool.query(
    `INSERT INTO devices (id, tenant_id, asset_id, state) SELECT unnest($1::text[]), $2, $3, 'active'`,
    [ids, w.tenantA, w.dispenser],
  );
  return ids;
}

async function runScenario(opts: {
  bus: Bus;
  store: Store;
  world: World;
  devices: string[];
  scenario: Scenario;
  durationMs: number;
}): Promise<Result> {
  const { bus, world, devices, scenario } = opts;
  const gw = await startInstance({
    bus,
    store: opts.store,
    // Unlimited unless the scenario is about coalescing: latency of every message, not of the limit.
    env: scenario.coalesce ? {} : { REALTIME_MAX_UPDATES_PER_SEC: '100000' },
  });
  const child = fork(fileURLToPath(new URL('./clients.ts', import.meta.url)), [], {
    execArgv: process.execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const replies: FromClients[] = [];
  const waiters: Array<(m: FromClients) => void> = [];
  child.on('message', (m: FromClients) => {
    const w = waiters.shift();
    if (w) w(m);
    else replies.push(m);
  });
  const ask = (m: ToClients): Promise<FromClients> => {
    child.send(m);
    return next();
  };
  const next = () =>
    new Promise<FromClients>((res, rej) => {
      const queued = replies.shift();
      if (queued) return res(queued);
      const timer = setTimeout(() => rej(new Error('clients process did not answer')), 120_000);
      waiters.push((m) => {
        clearTimeout(timer);
        if (m.type === 'error') rej(new Error(m.message));
        else res(m);
      });
    });

  try {
    const token = tokenFor(world.users.adminA, world.tenantA, 'admin');
    const ready = await ask({ type: 'start', url: gw.url, token, clients: scenario.clients, tenantId: world.tenantA });
    if (ready.type !== 'ready') throw new Error(`clients: ${JSON.stringify(ready)}`);

    // Warm-up: until readings arrive (a new Kafka group starts at the end only once it has partitions).
    let seq = 0;
    const publish = (n: number) => {
      const at = performance.timeOrigin + performance.now();
      const now = new Date(at).toISOString();
      const messages = Array.from({ length: n }, () => {
        const deviceId = devices[seq++ % devices.length] as string;
        return {
          key: deviceId,
          value: encodeMessage(TelemetryAcceptedV1, {
            v: 1,
            tenantId: world.tenantA,
            deviceId,
            eventId: `b${seq}`,
            kind: 'telemetry',
            ts: now,
            receivedAt: now,
            source: 'mqtt',
            metrics: { temperature: 20 + (seq % 10), battery: 90 },
            attributes: {},
            trace: { device: at },
            assetId: world.dispenser,
            late: false,
          }),
        };
      });
      return bus.publish(Topics.telemetryAccepted, messages);
    };
    for (let i = 0; i < 300; i++) {
      await publish(1);
      const c = await ask({ type: 'count' });
      if (c.type === 'count' && c.received >= scenario.clients) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 300));
    await ask({ type: 'reset' });
    const coalescedBefore = await metricValue(gw.registry, 'realtime_coalesced_total');
    const slowBefore = await metricValue(gw.registry, 'realtime_slow_client_disconnects_total');

    // Publish at the rate, in 10 ms steps, for the duration.
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let published = 0;
    while (performance.now() - t0 < opts.durationMs) {
      const due = Math.floor(((performance.now() - t0) / 1000) * scenario.rate) - published;
      if (due > 0) {
        await publish(due);
        published += due;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    const seconds = (performance.now() - t0) / 1000;
    // Drain: until every delivery arrived or the count stops moving for a second.
    const expected = published * scenario.clients;
    let last = -1;
    let stableSince = performance.now();
    for (;;) {
      const c = await ask({ type: 'count' });
      const received = c.type === 'count' ? c.received : 0;
      if (received >= expected) break;
      if (received !== last) {
        last = received;
        stableSince = performance.now();
      } else if (performance.now() - stableSince > 1000) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const cpu = process.cpuUsage(cpu0);
    const report = await ask({ type: 'report' });
    if (report.type !== 'report') throw new Error(`clients: ${JSON.stringify(report)}`);
    return {
      ...scenario,
      published,
      seconds,
      received: report.received,
      expected,
      deliveriesPerSec: report.received / seconds,
      latencyMs: report.latencyMs,
      coalesced: (await metricValue(gw.registry, 'realtime_coalesced_total')) - coalescedBefore,
      slowDisconnects: (await metricValue(gw.registry, 'realtime_slow_client_disconnects_total')) - slowBefore,
      disconnects: report.disconnects,
      gatewayCpuPct: Math.round(((cpu.user + cpu.system) / 1000 / (seconds * 1000)) * 100),
    };
  } finally {
    child.kill();
    await gw.realtime.close();
  }
}

function markdown(results: Result[], ctx: { kafka: boolean; durationMs: number }): string {
  const rows = results.map(
    (r) =>
      `| ${r.clients} × ${r.devices} | ${r.rate} | ${r.coalesce ? '4/s per device' : 'none'} | ${r.published} | ${r.received} / ${r.expected} | ${r.deliveriesPerSec.toFixed(0)} | ${r.latencyMs.p50} | ${r.latencyMs.p90} | ${r.latencyMs.p99} | ${r.latencyMs.max} | ${r.coalesced} | ${r.slowDisconnects} | ${r.gatewayCpuPct}% |`,
  );
  return [
    '# Realtime gateway: publish → socket latency and fan-out',
    '',
    `Measured with \`pnpm tsx bench/src/realtime/run.ts${ctx.kafka ? ' --kafka' : ''}\` on ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), Node ${process.versions.node}, ${new Date().toISOString().slice(0, 10)}.`,
    `Bus: ${ctx.kafka ? 'Kafka (local broker)' : 'memory (in-process)'}; store: embedded; one gateway instance in the bench process, all clients (Socket.IO over websocket, each subscribed to the whole tenant) in one forked process on the same machine; ${ctx.durationMs / 1000} s of publishing per row.`,
    'Latency = client receive time − publish time (trace.device), one machine clock. Deliveries = readings × clients that reached a client.',
    '',
    '| clients × devices | readings/s | rate limit | published | delivered / possible | deliveries/s | p50 ms | p90 ms | p99 ms | max ms | coalesced | slow cut-offs | gateway CPU |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}

function log(msg: string): void {
  process.stderr.write(`[bench:realtime] ${msg}\n`);
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
