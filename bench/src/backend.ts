/**
 * One backend under load: start the engines and the stack (embedded: the all-in-one process;
 * Kafka: each service in its own process, as docker-compose deploys them), provision devices and
 * an alert rule over the API, then for each offered rate run the load generator and measure what
 * was stored, how fast, with what latency, how the rules kept up (alerts opened, publish → alert
 * latency, consumer lag), at what CPU and memory per process; then the connect storm and
 * (PostgreSQL) rollup query latency.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AlertRule, kafkaLagReader, type LagReader, metricsLagReader, provisionAlertRule } from './alerts.js';
import { type KafkaBroker, kafkaBroker, type ScratchDatabase, scratchDatabase } from './engines.js';
import { type ConnectResult, type RunResult, startLoadGenerator } from './loadgen/index.js';
import { type ObserverReport, startObserver } from './observer/index.js';
import { measureOutage, type OutageResult } from './outage.js';
import { createProcSampler, type ProcUsage } from './proc.js';
import { createTenant, provisionDevices, signInAsAdmin } from './provision.js';
import { fillRollups, measureRollupQueries, type RollupLatency } from './rollups.js';
import { startStackProcess } from './stack/index.js';
import { SERVICES, startServices } from './stack/services.js';
import { apiReader, checkStored, type StoredCheck, type StoredReader, sqlReader } from './stored.js';

export type BackendKind = 'embedded' | 'kafka';

export interface BackendOptions {
  backend: BackendKind;
  rates: number[];
  durationMs: number;
  devices: number;
  window: number;
  /** After a step's load: how long the stack may take to store the rest. */
  drainTimeoutMs: number;
  brokers?: string[];
  postgresUrl: string;
  redisUrl: string;
  /** Devices for the connect storm; 0 = none. */
  connectStorm: number;
  rollupRequests: number;
  /** A first low-rate step not reported (JIT, consumer groups, pools); 0 = none. */
  warmupMs: number;
  /** After each step, how long to wait for the rules to catch up (bounds a run's length); 0 = measure the lag only. */
  rulesWaitMs: number;
  /** Kafka backend with our own broker: freeze it this long under load, then measure the backlog drain; 0 = none. */
  outageMs: number;
  log: (m: string) => void;
}

export interface StepResult {
  rate: number;
  tag: string;
  run: Omit<RunResult, 'perDevice'>;
  /** Events stored in the step / (last stored − step start). */
  storedPerSec: number;
  /** From the end of the load until the last acknowledged event was stored. */
  drainSeconds: number;
  /** False when the stored count stopped short of the acknowledged one within the drain timeout. */
  drained: boolean;
  check: StoredCheck;
  observer: ObserverReport;
  procs: ProcUsage[];
  /** Kept up: nothing lost or doubled, the offered rate was really offered, and storing kept pace. */
  sustained: boolean;
  /** What held the offered rate below the target, when it was: the generator itself, or the stack's back-pressure. */
  limitedBy?: 'load generator' | 'back-pressure';
  rules: RulesStep;
}

export interface RulesStep {
  /** Episodes the step's messages must open (the generator counts them, see loadgen/episodes.ts). */
  expected: number;
  /** Messages the rules group had not processed when the step's events were all stored. */
  lagAtStored: number;
  /** From then until the lag was 0; undefined when it was not within BackendOptions.rulesWaitMs. */
  catchUpSeconds: number | undefined;
  /** The lag when the bench stopped waiting (0 when it caught up). */
  lagAtEnd: number;
  /** Kept up: lag back to 0 within the drain bound and every episode's alert pushed. */
  keptUp: boolean;
}

export interface BackendResult {
  backend: BackendKind;
  engines: string;
  devices: number;
  steps: StepResult[];
  connectStorm?: ConnectResult & { devices: number };
  rollups?: RollupLatency[];
  outage?: OutageResult;
  /** The stack's own processes (embedded: "stack"; Kafka: one per service), as named in StepResult.procs. */
  stackProcesses: string[];
  /** The alert rule and how its lag is read. */
  rule: { describe: string; lagHow: string };
  notes: string[];
}

const STACK_ENV_DROP = ['KAFKA_BROKERS', 'DATABASE_URL', 'REDIS_URL', 'SMTP_URL', 'HTTP_PORT', 'MQTT_PORT', 'DATA_DIR'];

export async function runBackend(o: BackendOptions): Promise<BackendResult> {
  const { log } = o;
  const run = Date.now() % 250;
  const notes: string[] = [];
  const cleanups: (() => Promise<unknown>)[] = [];
  const cleanup = async () => {
    for (const c of cleanups.reverse()) await c().catch((err: Error) => log(`cleanup: ${err.message}`));
  };
  try {
    // ---- engines and the stack
    const dataDir = await mkdtemp(join(tmpdir(), `bench-${o.backend}-`));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const env: Record<string, string> = {
      SIMULATE: 'false',
      LOG_LEVEL: process.env.BENCH_STACK_LOG_LEVEL ?? 'silent',
      NODE_ENV: 'production',
      DATA_DIR: dataDir,
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: '0',
      MQTT_HOST: '127.0.0.1',
      MQTT_PORT: '0',
      MQTT_WS_PORT: '0',
      JWT_SECRET: randomBytes(32).toString('hex'),
      JWT_ACCESS_TTL: '12h',
      // the bench measures every message, not the dashboard's default of 4 updates/s per device
      REALTIME_MAX_UPDATES_PER_SEC: '100000',
      // one IP (127.0.0.1) opens every connection and makes every request
      MQTT_CONNECTS_PER_IP_PER_MIN: '10000000',
      API_DEVICE_IP_RATE_PER_MIN: '10000000',
      DEVICE_HTTP_RATE_PER_MIN: '10000000',
      API_LOGIN_RATE_PER_MIN: '10000',
      MQTT_MAX_INFLIGHT: String(Math.max(10_000, o.devices * o.window * 2)),
    };
    let broker: KafkaBroker | undefined;
    let db: ScratchDatabase | undefined;
    let engines =
      'one process (services/stack): in-process bus, PGlite + TimescaleDB on disk (one session), in-process cache';
    if (o.backend === 'kafka') {
      broker = await kafkaBroker(o.brokers, log);
      cleanups.push(() => broker?.close() ?? Promise.resolve());
      db = await scratchDatabase(o.postgresUrl, 'bench');
      cleanups.push(() => db?.close() ?? Promise.resolve());
      Object.assign(env, {
        KAFKA_BROKERS: broker.brokers.join(','),
        DATABASE_URL: db.url,
        REDIS_URL: o.redisUrl,
        DB_POOL_SIZE: '10',
        // docker-compose.yml's x-env (its replication settings need its three brokers)
        KAFKA_PARTITIONS: '12',
      });
      engines =
        `each service in its own process (${SERVICES.join(', ')}; one of each), as docker-compose.yml runs them; ` +
        `Kafka ${broker.note}, topics of 12 partitions; PostgreSQL: fresh database ${db.name} on ${new URL(o.postgresUrl).host}; Redis ${new URL(o.redisUrl).host}`;
    }
    const base = { ...process.env };
    for (const k of STACK_ENV_DROP) delete base[k];
    log(`${o.backend}: starting the stack`);
    // where the bench talks to it, and what it samples
    let urls: { http: string; realtime: string; mqtt: string };
    let admin: { username: string; password: string };
    const stackProcs: [string, number][] = [];
    let lagReader: LagReader;
    if (o.backend === 'kafka' && broker) {
      const services = await startServices({ ...(base as Record<string, string>), ...env });
      cleanups.push(() => services.close());
      ({ urls, admin } = services);
      for (const svc of services.services) stackProcs.push([svc.name, svc.pid]);
      lagReader = await kafkaLagReader(broker.brokers);
      log(
        `${o.backend}: services up (api ${urls.http}, realtime ${urls.realtime}, mqtt ${urls.mqtt}; ` +
          `${services.services.map((svc) => `${svc.name} ${svc.pid}`).join(', ')})`,
      );
    } else {
      const stack = await startStackProcess({ ...(base as Record<string, string>), ...env });
      cleanups.push(() => stack.close());
      urls = { http: stack.urls.http, realtime: stack.urls.http, mqtt: stack.urls.mqtt };
      admin = stack.admin;
      stackProcs.push(['stack', stack.pid]);
      lagReader = metricsLagReader(stack.urls.metrics);
      log(`${o.backend}: stack up (api ${stack.urls.http}, mqtt ${stack.urls.mqtt}, pid ${stack.pid})`);
    }
    const lags = lagReader;
    cleanups.push(() => lags.close());

    // ---- tenant, alert rule, devices, the dashboard client, the generator
    const api = await signInAsAdmin(urls.http, admin);
    const tenantId = await createTenant(api, `bench-${Date.now().toString(36)}`);
    // before the devices' first event: the rules worker caches a tenant's rules for a while
    const rule: AlertRule = await provisionAlertRule(api, tenantId);
    const t0 = performance.now();
    const devices = await provisionDevices(api, {
      tenantId,
      count: o.devices,
      prefix: `b${run}`,
      run,
      assetId: rule.assetId,
    });
    log(`${o.backend}: ${devices.length} devices provisioned in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const reader: StoredReader = db ? sqlReader(db.url, tenantId) : apiReader(api, tenantId);
    cleanups.push(() => reader.close());
    const observer = await startObserver({ url: urls.realtime, token: api.token, tenantId, ruleId: rule.ruleId });
    cleanups.push(() => observer.close());
    const lg = startLoadGenerator();
    cleanups.push(() => lg.close());
    const connected = await lg.connect({ url: urls.mqtt, devices, concurrency: 50 });
    if (connected.failed > 0)
      throw new Error(`${connected.failed} devices could not connect: ${connected.errors.join('; ')}`);

    const sampler = createProcSampler(500);
    for (const [name, pid] of stackProcs) sampler.watch(name, pid);
    sampler.watch('load generator', lg.pid);
    sampler.watch('socket client', observer.pid);
    if (broker?.pid) sampler.watch('kafka broker', broker.pid);
    if (db) sampler.watch('postgres (bench db)', () => db?.backendPids() ?? []);

    // ---- warm-up: JIT, consumer groups, pools; its events are stored like any other
    if (o.warmupMs > 0) {
      await step({ rate: Math.min(o.rates[0] ?? 500, 500), tag: `w${run}`, durationMs: o.warmupMs });
      log(`${o.backend}: warmed up`);
    }

    const steps: StepResult[] = [];
    for (const [i, rate] of o.rates.entries()) {
      const s = await step({ rate, tag: `s${run}x${i}`, durationMs: o.durationMs });
      steps.push(s);
      log(
        `${o.backend} @ ${rate}/s: offered ${s.run.offeredPerSec.toFixed(0)}/s, stored ${s.storedPerSec.toFixed(0)}/s, ` +
          `lost ${s.check.lost}, dup ${s.check.duplicates}, →stored p99 ${s.observer.toStored.p99} ms, →socket p99 ${s.observer.toSocket.p99} ms, ` +
          `alerts ${s.observer.alertsOpened}/${s.rules.expected} →alert p99 ${s.observer.toAlert.p99} ms, rules lag ${s.rules.lagAtStored}` +
          `${s.sustained ? '' : ' (NOT sustained)'}${s.limitedBy ? ` (limited by ${s.limitedBy})` : ''}`,
      );
    }
    // ---- Kafka outage, backlog drain
    let outage: OutageResult | undefined;
    if (o.outageMs > 0 && o.backend === 'kafka') {
      if (broker?.pid) {
        const rate = o.rates[0] ?? 1000;
        log(`${o.backend}: freezing the broker for ${o.outageMs / 1000} s under ${rate} msg/s`);
        outage = await measureOutage({
          lg,
          reader,
          observer,
          brokerPid: broker.pid,
          rate,
          outageMs: o.outageMs,
          window: o.window,
          drainTimeoutMs: o.drainTimeoutMs,
          tag: `o${run}`,
        });
        log(
          `${o.backend}: backlog ${outage.backlogAtResume} drained at ${outage.drainPerSec.toFixed(0)}/s = ${outage.ratio.toFixed(1)}× ingest, ` +
            `lost ${outage.check.lost}, dup ${outage.check.duplicates}`,
        );
      } else {
        notes.push('Kafka outage: not measured (the broker is not ours: KAFKA_BROKERS was given)');
      }
    }
    await lg.disconnect();

    // ---- connect storm
    let connectStorm: BackendResult['connectStorm'];
    if (o.connectStorm > 0) {
      log(`${o.backend}: provisioning ${o.connectStorm} devices for the connect storm`);
      const storm = await provisionDevices(api, {
        tenantId,
        count: o.connectStorm,
        prefix: `c${run}`,
        run,
        firstIndex: 100_000,
        concurrency: 16,
      });
      const stormGen = startLoadGenerator();
      try {
        const r = await stormGen.storm({
          url: urls.mqtt,
          devices: storm,
          concurrency: Math.min(1000, storm.length),
        });
        connectStorm = { ...r, devices: storm.length };
        log(
          `${o.backend}: connect storm ${r.connected}/${storm.length} in ${r.seconds.toFixed(2)} s = ${r.connectsPerSec.toFixed(0)} CONNECT/s`,
        );
        await stormGen.disconnect();
      } finally {
        await stormGen.close();
      }
    }

    // ---- rollup query latency
    let rollups: RollupLatency[] | undefined;
    if (db && o.rollupRequests > 0) {
      const ids = devices.map((d) => d.deviceId);
      const filled = await fillRollups(db.url, tenantId, ids);
      log(`${o.backend}: ${filled.rows} rollup rows written (30 days, ${ids.length} devices)`);
      rollups = await measureRollupQueries(api, {
        tenantId,
        deviceIds: ids,
        to: filled.to,
        requests: o.rollupRequests,
      });
    } else if (o.rollupRequests > 0) {
      notes.push(
        'rollup query latency: measured on the PostgreSQL backend only (the embedded store is the stack’s single PGlite session)',
      );
    }
    return {
      backend: o.backend,
      engines,
      devices: devices.length,
      steps,
      connectStorm,
      rollups,
      outage,
      stackProcesses: stackProcs.map(([name]) => name),
      rule: { describe: rule.describe, lagHow: lags.how },
      notes,
    };

    async function step(p: { rate: number; tag: string; durationMs: number }): Promise<StepResult> {
      // alerts opened by this step's events: their openedAt (device time) is at or after now
      await observer.reset(p.tag, Date.now());
      const before = await reader.count();
      await sampler.start();
      const started = Date.now();
      const r = await lg.run({
        rate: p.rate,
        durationMs: p.durationMs,
        window: o.window,
        tag: p.tag,
        drainTimeoutMs: o.drainTimeoutMs,
      });
      // when the generator stopped publishing (run() returns after the last PUBACKs, later)
      const loadEnd = started + r.seconds * 1000;
      // until every acknowledged event is stored, or nothing moved for a while
      const target = before + r.acked;
      let count = await reader.count();
      let last = count;
      let lastMove = Date.now();
      while (count < target && Date.now() - loadEnd < o.drainTimeoutMs && Date.now() - lastMove < 15_000) {
        await new Promise((res) => setTimeout(res, 200));
        count = await reader.count();
        if (count !== last) {
          last = count;
          lastMove = Date.now();
        }
      }
      const drainedAt = Date.now();
      const procs = await sampler.stop();
      const rules = await rulesAfter(r.episodes);
      const obs = await observer.report();
      // the last commit, from the pushes when they saw it (finer than the poll)
      const storedAt =
        obs.lastStored > 0 && obs.lastStored <= drainedAt ? Math.max(obs.lastStored, loadEnd - 1) : drainedAt;
      const stored = count - before;
      const events = await reader.events(p.tag, new Date(started - 60_000), new Date(drainedAt + 60_000));
      const check = checkStored(p.tag, r, events);
      const { perDevice: _, ...summary } = r;
      const drainSeconds = Math.max(0, (storedAt - loadEnd) / 1000);
      const storedPerSec = stored / ((storedAt - started) / 1000);
      const generatorCpu = procs.find((x) => x.name === 'load generator')?.cpuPct ?? 0;
      const short = r.offeredPerSec < 0.95 * p.rate;
      const bound = Math.max(2, (0.1 * p.durationMs) / 1000);
      return {
        rate: p.rate,
        tag: p.tag,
        run: summary,
        storedPerSec,
        drainSeconds,
        drained: count >= target,
        check,
        observer: obs,
        procs,
        sustained:
          count >= target &&
          check.lost === 0 &&
          check.duplicates === 0 &&
          r.notAcked === 0 &&
          r.offeredPerSec >= 0.95 * p.rate &&
          drainSeconds <= bound,
        // one core is all a Node process gets: at 90 % the generator is the limit, not the stack;
        // short of the rate with the windows open, it fell behind its own schedule (starved of CPU)
        limitedBy:
          generatorCpu >= 90 || (short && r.windowFullShare < 0.5)
            ? 'load generator'
            : short
              ? 'back-pressure'
              : undefined,
        rules: {
          ...rules,
          keptUp:
            rules.catchUpSeconds !== undefined && rules.catchUpSeconds <= bound && obs.alertsOpened >= rules.expected,
        },
      };
    }

    /**
     * Right after a step's events are all stored: the rules group's lag, how long until it is 0,
     * then (bounded) until the step's alerts have reached the socket client.
     */
    async function rulesAfter(expected: number): Promise<Omit<RulesStep, 'keptUp'>> {
      const from = Date.now();
      const lagAtStored = await lags.lag();
      let lag = lagAtStored;
      while (lag > 0 && Date.now() - from < o.rulesWaitMs) {
        await new Promise((res) => setTimeout(res, 250));
        lag = await lags.lag();
      }
      const catchUpSeconds = lag === 0 ? (Date.now() - from) / 1000 : undefined;
      // alerts.v1 → realtime → socket, after the rules committed
      const until = Date.now() + Math.min(5_000, o.rulesWaitMs);
      while ((await observer.count()).alertsOpened < expected && Date.now() < until)
        await new Promise((res) => setTimeout(res, 200));
      return { expected, lagAtStored, catchUpSeconds, lagAtEnd: lag };
    }
  } finally {
    await cleanup();
  }
}
