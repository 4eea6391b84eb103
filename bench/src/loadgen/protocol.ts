import type { Percentiles } from '../stats.js';

/** One simulated device of the load generator. */
export interface LoadDevice {
  /** MQTT client id (the stack wants client id = username = device id). */
  clientId: string;
  username?: string;
  password?: string;
  /** Where it publishes, e.g. devices/<id>/telemetry. */
  topic: string;
}

export interface ConnectParams {
  url: string;
  devices: LoadDevice[];
  /** CONNECTs outstanding at once. */
  concurrency: number;
}

export interface ConnectResult {
  connected: number;
  failed: number;
  seconds: number;
  connectsPerSec: number;
  /** CONNECT → CONNACK. */
  connackMs: Percentiles;
  errors: string[];
}

export interface RunParams {
  /** Messages/s over all devices; 0 = as fast as the windows allow (the ceiling runs). */
  rate: number;
  durationMs: number;
  /** Unacknowledged QoS 1 publishes per device. */
  window: number;
  /** Event id prefix of this step: `${tag}-${seq}` per device. */
  tag: string;
  /** After the duration, how long to wait for the PUBACKs still outstanding. */
  drainTimeoutMs: number;
}

export interface RunResult {
  published: number;
  acked: number;
  /** Published but not acknowledged (error or no PUBACK within the drain timeout). */
  notAcked: number;
  /** Owed by the pacer but never sent: the generator (or the broker's back-pressure) was behind. */
  backlog: number;
  seconds: number;
  offeredPerSec: number;
  ackedPerSec: number;
  /** PUBLISH → PUBACK. */
  pubackMs: Percentiles;
  /** Per device (same order as connected): how many were published, and the seqs not acknowledged. */
  perDevice: { clientId: string; published: number; notAcked: number[] }[];
  /**
   * Alert episodes this run should open under ALERT_RULE (see episodes.ts): per device, breaches
   * after a clear, on the samples a rule evaluates (device time strictly increasing).
   */
  episodes: number;
  /**
   * Of the times a device was owed a publish (paced runs), the share its window was full: high when
   * the stack held the rate back, low when the generator itself fell behind its schedule.
   */
  windowFullShare: number;
  errors: string[];
}

/**
 * The rule the bench provisions (bench/src/alerts.ts): temperature > 29.45 with no hysteresis and
 * no minimum duration. payloadFor's temperature is 20 + (seq % 100) / 10, so 5 % of the messages
 * breach (seq % 100 = 95…99) and every device opens an episode once per 100 messages, which its
 * next message (seq % 100 = 0, 20.0) resolves.
 */
export const ALERT_RULE = { metric: 'temperature', operator: '>', threshold: 29.45 } as const;

export function temperatureOf(seq: number): number {
  return 20 + (seq % 100) / 10;
}

/** The payload a device sends: the mqtt-gateway's MqttPayload (event_id, ts, metrics). */
export function payloadFor(tag: string, seq: number, at: number): string {
  // values move every message: no device type deadband can suppress the raw row
  const t = temperatureOf(seq);
  const h = 40 + (seq % 37);
  return `{"event_id":"${tag}-${seq}","ts":"${new Date(at).toISOString()}","metrics":{"temperature":${t},"humidity":${h},"counter":${seq}}}`;
}
