/**
 * A whole bench run: the ceilings first (nothing of ours running), then each backend.
 */
import type { BenchOptions } from './args.js';
import { type BackendResult, runBackend } from './backend.js';
import { copyCeiling } from './ceilings/copy.js';
import { type CeilingResult, kafkaCeiling } from './ceilings/kafka.js';
import { type MqttCeiling, mqttCeiling } from './ceilings/mqtt.js';
import { kafkaBroker } from './engines.js';
import { createLoadWatch, type MachineInfo, machineInfo } from './machine.js';
import { REPO_ROOT } from './rpc.js';

export interface Ceilings {
  mqtt?: MqttCeiling;
  kafka?: CeilingResult;
  copy?: CeilingResult;
}

export interface BenchResult {
  options: BenchOptions;
  command: string;
  machine: MachineInfo;
  load: { min: number; max: number; mean: number };
  ceilings: Ceilings;
  backends: BackendResult[];
  seconds: number;
}

export async function runBench(o: BenchOptions, command: string, log: (m: string) => void): Promise<BenchResult> {
  const started = performance.now();
  const machine = machineInfo(REPO_ROOT);
  const load = createLoadWatch();
  const ceilings: Ceilings = {};
  if (o.ceilings.includes('mqtt')) {
    log(`ceiling: mosquitto ${o.mosquitto}`);
    ceilings.mqtt = await mqttCeiling({
      url: o.mosquitto,
      devices: o.devices,
      window: o.window,
      durationMs: o.ceilingDurationMs,
      stormDevices: o.connectStorm,
    });
    log(
      `ceiling: mosquitto ${ceilings.mqtt.perSec.toFixed(0)} msg/s (generator at ${ceilings.mqtt.generatorCpuPct} % CPU)`,
    );
  }
  if (o.ceilings.includes('kafka')) {
    const broker = await kafkaBroker(o.brokers, log);
    try {
      ceilings.kafka = await kafkaCeiling({
        brokers: broker.brokers,
        devices: o.devices,
        durationMs: o.ceilingDurationMs,
        partitions: 6,
      });
      ceilings.kafka.note += `; ${broker.note}`;
      log(`ceiling: Kafka ${ceilings.kafka.perSec.toFixed(0)} msg/s`);
    } finally {
      await broker.close();
    }
  }
  if (o.ceilings.includes('copy')) {
    const rows = Math.max(100_000, Math.min(1_000_000, Math.round((Math.max(...o.rates) * o.durationMs) / 1000)));
    ceilings.copy = await copyCeiling({ adminUrl: o.postgres, rows, devices: o.devices });
    log(`ceiling: COPY ${ceilings.copy.perSec.toFixed(0)} rows/s`);
  }
  const backends: BackendResult[] = [];
  for (const backend of o.backends) {
    backends.push(
      await runBackend({
        backend,
        rates: o.rates,
        durationMs: o.durationMs,
        devices: o.devices,
        window: o.window,
        drainTimeoutMs: o.drainTimeoutMs,
        brokers: o.brokers,
        postgresUrl: o.postgres,
        redisUrl: o.redis,
        connectStorm: o.connectStorm,
        rollupRequests: o.rollupRequests,
        warmupMs: o.smoke ? 0 : 3_000,
        // the smoke run asserts what was stored, not how the rules kept up
        rulesWaitMs: o.smoke ? 0 : 60_000,
        outageMs: o.outageMs,
        log,
      }),
    );
  }
  return {
    options: o,
    command,
    machine,
    load: load.stop(),
    ceilings,
    backends,
    seconds: (performance.now() - started) / 1000,
  };
}
