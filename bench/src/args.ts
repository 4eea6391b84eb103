import { parseArgs } from 'node:util';
import { AppError } from '@telemetry/contracts';
import type { BackendKind } from './backend.js';

export const HELP = `Usage: pnpm bench [options]

End-to-end benchmark: starts the stack on the chosen backend (embedded: services/stack, the
all-in-one process; kafka: each service of docker-compose.yml in its own process), provisions
devices and an alert rule over the API, drives it over MQTT (QoS 1) at increasing rates, and
reports per rate: offered and stored msg/s, loss and duplicates (must be 0), latency device
publish → stored and → socket push (p50/p99), the rules under load (alerts opened against the
episodes sent, publish → alert opened p50/p99, rules consumer lag), CPU and memory of each
process. In the same run it measures the machine's ceilings: mosquitto (MQTT, = the load
generator alone), a raw kafkajs producer (Kafka) and COPY into PostgreSQL (store), and gives our
figures as a ratio of each. Results are appended to BENCHMARKS.md with a plot in bench/results/.
The defaults (\`pnpm bench --backend both\`, without KAFKA_BROKERS so that the Kafka outage runs
on a broker of its own) take about 10 min on a quiet 2-core machine (up to ~12 when the
rules fall far behind at the top rate: after each step the bench waits up to 60 s for them).

Options:
  --backend LIST        embedded | kafka | both (default both)
                        embedded = the all-in-one process (in-process bus, PGlite + TimescaleDB)
                        kafka    = Kafka (KAFKA_BROKERS, else our own broker from infra/kafka/kafka.sh
                                   on a free port) + a fresh database on PostgreSQL + Redis
  --rates LIST          offered msg/s in total, one step each (default 1000,2500,5000,10000)
  --duration D          length of each step, e.g. 20s (default 20s)
  --devices N           MQTT connections (devices) sharing the rate (default 100)
  --window N            unacknowledged QoS 1 publishes per device (default 64)
  --drain-timeout D     how long a step's backlog may take to be stored (default 180s)
  --connect-storm N     devices connecting at once, with auth (default 2000; 0 = skip)
  --rollup-requests N   requests per rollup query (kafka backend; default 50; 0 = skip)
  --outage D            kafka backend, own broker: freeze it (SIGSTOP) this long under the first
                        rate, then measure the backlog drain (default 60s; 0 = skip; skipped when
                        KAFKA_BROKERS names a broker: that one is not ours to freeze)
  --ceilings LIST       mqtt,kafka,copy or none (default all three)
  --ceiling-duration D  length of each ceiling run (default 10s)
  --mosquitto URL       the MQTT ceiling's broker (default mqtt://127.0.0.1:1883)
  --postgres URL        server for the kafka backend and the COPY ceiling
                        (default $BENCH_POSTGRES_URL or postgres://postgres@127.0.0.1:5432/postgres)
  --redis URL           (default $REDIS_URL or redis://127.0.0.1:6379/13)
  --out FILE            markdown file the results are appended to (default BENCHMARKS.md)
  --no-write            print the results only
  --assemble            only rebuild BENCHMARKS.md's head and component part (bench/results/*.md),
                        keeping its runs; runs nothing
  --smoke               a few seconds at one low rate on the embedded stack, no ceilings, no plot,
                        no write; exits 1 on any loss or duplicate (what CI runs)
  --help                this text

Environment: KAFKA_BROKERS (use that broker), BENCH_STACK_LOG_LEVEL (the stack's LOG_LEVEL,
default silent).
`;

export type Ceiling = 'mqtt' | 'kafka' | 'copy';

export interface BenchOptions {
  backends: BackendKind[];
  rates: number[];
  durationMs: number;
  devices: number;
  window: number;
  drainTimeoutMs: number;
  connectStorm: number;
  rollupRequests: number;
  outageMs: number;
  ceilings: Ceiling[];
  ceilingDurationMs: number;
  mosquitto: string;
  postgres: string;
  redis: string;
  brokers: string[] | undefined;
  out: string | undefined;
  smoke: boolean;
  assemble: boolean;
  help: boolean;
}

export function parseBenchArgs(argv: string[], env: NodeJS.ProcessEnv = {}): BenchOptions {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        backend: { type: 'string' },
        rates: { type: 'string' },
        duration: { type: 'string' },
        devices: { type: 'string' },
        window: { type: 'string' },
        'drain-timeout': { type: 'string' },
        'connect-storm': { type: 'string' },
        'rollup-requests': { type: 'string' },
        outage: { type: 'string' },
        ceilings: { type: 'string' },
        'ceiling-duration': { type: 'string' },
        mosquitto: { type: 'string' },
        postgres: { type: 'string' },
        redis: { type: 'string' },
        out: { type: 'string' },
        'no-write': { type: 'boolean' },
        smoke: { type: 'boolean' },
        assemble: { type: 'boolean' },
        help: { type: 'boolean' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new AppError('VALIDATION_FAILED', `${(err as Error).message}\n\n${HELP}`);
  }
  const smoke = values.smoke === true;
  const str = (k: string) => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
  const backend = str('backend') ?? (smoke ? 'embedded' : 'both');
  if (!['embedded', 'kafka', 'both'].includes(backend)) throw invalid('--backend', 'embedded, kafka or both');
  const ceilings = (str('ceilings') ?? (smoke ? 'none' : 'mqtt,kafka,copy'))
    .split(',')
    .filter((c) => c && c !== 'none');
  for (const c of ceilings)
    if (!['mqtt', 'kafka', 'copy'].includes(c)) throw invalid('--ceilings', 'mqtt, kafka, copy or none');
  const brokers = (env.KAFKA_BROKERS ?? '')
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  return {
    backends: backend === 'both' ? ['embedded', 'kafka'] : [backend as BackendKind],
    rates: list(str('rates') ?? (smoke ? '200' : '1000,2500,5000,10000'), '--rates'),
    durationMs: duration(str('duration') ?? (smoke ? '4s' : '20s'), '--duration'),
    devices: positive(str('devices') ?? (smoke ? '10' : '100'), '--devices'),
    window: positive(str('window') ?? '64', '--window'),
    drainTimeoutMs: duration(str('drain-timeout') ?? (smoke ? '30s' : '180s'), '--drain-timeout'),
    connectStorm: count(str('connect-storm') ?? (smoke ? '0' : '2000'), '--connect-storm'),
    rollupRequests: count(str('rollup-requests') ?? (smoke ? '0' : '50'), '--rollup-requests'),
    outageMs: duration(str('outage') ?? (smoke ? '0s' : '60s'), '--outage'),
    ceilings: ceilings as Ceiling[],
    ceilingDurationMs: duration(str('ceiling-duration') ?? '10s', '--ceiling-duration'),
    mosquitto: str('mosquitto') ?? 'mqtt://127.0.0.1:1883',
    postgres: str('postgres') ?? env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    redis: str('redis') ?? env.REDIS_URL ?? 'redis://127.0.0.1:6379/13',
    brokers: brokers.length > 0 ? brokers : undefined,
    out: values['no-write'] === true || smoke ? undefined : (str('out') ?? 'BENCHMARKS.md'),
    smoke,
    assemble: values.assemble === true,
    help: values.help === true,
  };
}

function invalid(flag: string, expected: string): AppError {
  return new AppError('VALIDATION_FAILED', `${flag}: expected ${expected}`);
}

function positive(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw invalid(flag, 'a whole number ≥ 1');
  return n;
}

function count(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw invalid(flag, 'a whole number ≥ 0');
  return n;
}

function list(v: string, flag: string): number[] {
  const out = v.split(',').map((x) => Number(x.trim()));
  if (out.length === 0 || out.some((n) => !Number.isFinite(n) || n <= 0))
    throw invalid(flag, 'comma-separated rates > 0');
  return out;
}

/** "20s", "500ms", "2m", or plain seconds. */
export function duration(v: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(v.trim());
  if (!m) throw invalid(flag, 'a duration such as 20s, 500ms or 2m');
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  return Math.round(unit === 'ms' ? n : unit === 'm' ? n * 60_000 : n * 1000);
}
