/**
 * The mqtt-gateway under test, in a process of its own (so /proc tells its CPU and RSS apart from
 * the load generator's): embedded store, Kafka bus, devices provisioned in bulk, the gateway on a
 * free port. Driven over RPC by run.ts.
 */
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { createBus } from '@telemetry/bus';
import { createGateway, type Gateway } from '@telemetry/mqtt-gateway';
import { createRegistry as createMetricsRegistry, silentLogger } from '@telemetry/observability';
import { createDeviceRegistry, hashToken } from '@telemetry/registry';
import { createStore, IN_MEMORY, type Store } from '@telemetry/store';
import { serve } from '../rpc.js';
import { benchDeviceIds, benchToken } from './tokens.js';

let store: Store | undefined;
let bus: ReturnType<typeof createBus> | undefined;
let gateway: Gateway | undefined;
let tenantId = '';

interface StartParams {
  brokers: string[];
  /** PostgreSQL for device identity; absent = the embedded store in this process (adds ~500 MB of RSS). */
  databaseUrl?: string;
  run: string;
  maxInflight: number;
  partitions: number;
}

async function start(p: StartParams): Promise<{ port: number; rawTopic: string }> {
  store = await createStore(
    { databaseUrl: p.databaseUrl, dataDir: IN_MEMORY, port: 0, poolSize: 8 },
    { applicationName: 'bench-gateway' },
  );
  await store.migrate();
  tenantId = (
    await store.pool.query<{ id: string }>('INSERT INTO tenants (name) VALUES ($1) RETURNING id', [`bench-${p.run}`])
  ).rows[0]!.id;
  bus = createBus({ kafkaBrokers: p.brokers, clientId: `bench-gateway-${p.run}`, partitions: p.partitions });
  const topics = {
    raw: `bench_gw_raw_${p.run}`,
    dead: `bench_gw_dead_${p.run}`,
    presence: `bench_gw_presence_${p.run}`,
  };
  gateway = createGateway({
    bus,
    registry: createDeviceRegistry({ pool: store.pool }),
    logger: silentLogger(),
    metrics: createMetricsRegistry(),
    gatewayId: `bench-${p.run}`,
    topics,
    options: {
      host: '127.0.0.1',
      port: 0,
      wsPort: -1,
      maxPacketBytes: 65_536,
      maxInflight: p.maxInflight,
      // the load comes from one IP: the per-IP limit would be the benchmark
      connectsPerIpPerMinute: 1_000_000,
      connectTimeoutMs: 60_000,
    },
  });
  const { port } = await gateway.start();
  return { port, rawTopic: topics.raw };
}

/** Active devices of the bench tenant whose tokens are benchToken(seed, id), 5 000 rows per statement. */
async function provision(p: { prefix: string; count: number; seed: string }): Promise<number> {
  if (!store) throw new Error('start first');
  const ids = benchDeviceIds(p.prefix, p.count);
  for (let i = 0; i < ids.length; i += 5_000) {
    const chunk = ids.slice(i, i + 5_000);
    await store.pool.query(
      `INSERT INTO devices (id, tenant_id, state, token_hash, token_issued_at)
       SELECT id, $1, 'active', hash, now() FROM unnest($2::text[], $3::text[]) AS v(id, hash)`,
      [tenantId, chunk, chunk.map((id) => hashToken(benchToken(p.seed, id)))],
    );
  }
  return ids.length;
}

function stats() {
  return {
    connected: gateway?.connectedDevices() ?? 0,
    inflight: gateway?.inflight() ?? 0,
    ready: gateway?.ready() ?? false,
  };
}

// --profile DIR of run.ts: a V8 CPU profile of this process, written when it stops
// (--cpu-prof is not allowed in NODE_OPTIONS, and forkChild owns the exec arguments).
const profileDir = process.env.BENCH_GATEWAY_PROFILE;
const profiler = profileDir ? new Session() : undefined;
if (profiler) {
  profiler.connect();
  await profiler.post('Profiler.enable');
  await profiler.post('Profiler.start');
}

serve({ start, provision, stats, gc: () => global.gc?.() }, async () => {
  if (profiler && profileDir) {
    const { profile } = await profiler.post('Profiler.stop');
    await writeFile(join(profileDir, `gateway-${process.pid}.cpuprofile`), JSON.stringify(profile));
  }
  await gateway?.close();
  await bus?.close();
  await store?.close();
});
