/**
 * The rules under load: one threshold rule that fires on a share of the load (ALERT_RULE: 5 % of
 * the messages breach, one episode per device per 100 messages), provisioned over the REST API as
 * an operator would (an asset, the devices bound to it, a rule on the asset), and the rules
 * consumer group's lag, read from outside the services:
 *   Kafka     committed offsets of group "rules" against the topics' end offsets (admin API);
 *   embedded  the stack's Prometheus counters: events the pipeline accepted (and so published on
 *             telemetry.accepted.v1) − events the rules worker has taken (rules_events_total):
 *             the in-process bus has no outside view of its offsets.
 */
import { Topics } from '@telemetry/contracts';
import { Kafka, logLevel } from 'kafkajs';
import { ALERT_RULE } from './loadgen/protocol.js';
import type { ApiClient } from './provision.js';

export interface AlertRule {
  assetId: string;
  ruleId: string;
  /** Shown in the report. */
  describe: string;
}

/** An asset for the bench's devices and a threshold rule on it (the devices are bound at provisioning). */
export async function provisionAlertRule(api: ApiClient, tenantId: string): Promise<AlertRule> {
  const asset = await api.request<{ id: string }>('POST', '/api/assets', {
    type: 'bench_line',
    name: 'bench line',
    tenantId,
  });
  const rule = await api.request<{ id: string }>('POST', '/api/rules', {
    tenantId,
    name: 'bench: too warm',
    kind: 'threshold',
    assetId: asset.id,
    metric: ALERT_RULE.metric,
    operator: ALERT_RULE.operator,
    threshold: ALERT_RULE.threshold,
    minDurationS: 0,
    severity: 'info',
  });
  return {
    assetId: asset.id,
    ruleId: rule.id,
    describe: `${ALERT_RULE.metric} ${ALERT_RULE.operator} ${ALERT_RULE.threshold}, no hysteresis, no minimum duration`,
  };
}

export interface LagReader {
  /** Messages the rules group has not processed yet. */
  lag(): Promise<number>;
  /** How it is read, for the report. */
  readonly how: string;
  close(): Promise<void>;
}

const RULES_TOPICS = [Topics.telemetryAccepted, Topics.devicePresence];

/** Group "rules": Σ per partition (end offset − committed offset) on the topics it reads. */
export async function kafkaLagReader(brokers: string[], groupId = 'rules'): Promise<LagReader> {
  const kafka = new Kafka({ clientId: `bench-lag-${process.pid}`, brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  return {
    how: `Kafka admin: group "${groupId}" committed offsets vs end offsets of ${RULES_TOPICS.join(', ')}`,
    async lag() {
      const committed = await admin.fetchOffsets({ groupId, topics: RULES_TOPICS });
      let lag = 0;
      for (const topic of RULES_TOPICS) {
        const ends = await admin.fetchTopicOffsets(topic);
        const done = committed.find((t) => t.topic === topic)?.partitions ?? [];
        for (const p of ends) {
          const c = Number(done.find((d) => d.partition === p.partition)?.offset ?? -1);
          lag += Math.max(0, Number(p.high) - (c >= 0 ? c : Number(p.low)));
        }
      }
      return lag;
    },
    close: () => admin.disconnect(),
  };
}

/** Sum of a counter's series in Prometheus text, optionally only those with `label`. */
export function counterSum(text: string, name: string, label?: string): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== ' ' && rest[0] !== '{') continue;
    if (label && !rest.includes(label)) continue;
    const value = Number(rest.slice(rest.lastIndexOf(' ') + 1));
    if (Number.isFinite(value)) sum += value;
  }
  return sum;
}

/** The all-in-one process: accepted by the pipeline − taken by the rules worker (its Prometheus counters). */
export function metricsLagReader(metricsUrl: string): LagReader {
  return {
    how: 'the stack’s Prometheus counters: pipeline_events_stored_total + pipeline_accepted_republished_total − rules_events_total{topic="telemetry"} (messages taken, counted before their commit)',
    async lag() {
      const text = await (await fetch(metricsUrl, { signal: AbortSignal.timeout(10_000) })).text();
      const accepted =
        counterSum(text, 'pipeline_events_stored_total') + counterSum(text, 'pipeline_accepted_republished_total');
      const taken = counterSum(text, 'rules_events_total', 'topic="telemetry"');
      return Math.max(0, accepted - taken);
    },
    close: async () => undefined,
  };
}
