import type { LegacyIotForm, MqttPayload, OzoneEvent, Reading } from './device-payloads.js';
import { parseDeviceTime } from './device-time.js';
import { derivedEventId } from './event-id.js';
import type { EventKind, Metrics } from './messages.js';

/** The edge's device-independent view of one event, before it becomes telemetry.raw.v1. */
export interface NormalizedEvent {
  eventId: string;
  kind: EventKind;
  /** ISO 8601 UTC; undefined when the device sent no time (the edge uses receive time). */
  ts: string | undefined;
  metrics: Metrics;
  attributes: Record<string, unknown>;
}

const RESERVED = new Set(['event_id', 'ts', 'metrics', 'device_id']);

export function fromMqtt(kind: EventKind, p: MqttPayload): NormalizedEvent {
  const metrics: Metrics = {};
  const attributes: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(p.metrics ?? {})) metrics[k] = typeof v === 'boolean' ? Number(v) : v;
  for (const [k, v] of Object.entries(p)) {
    if (RESERVED.has(k)) continue;
    if (typeof v === 'number' && Number.isFinite(v)) metrics[k] = v;
    else if (typeof v === 'boolean') metrics[k] = Number(v);
    else attributes[k] = v;
  }
  return { eventId: p.event_id, kind, ts: parseDeviceTime(p.ts), metrics, attributes };
}

/**
 * Ozone treatment event. Besides the billing counter, each treatment counts 1 in
 * `treatments.<type>`, so the rollups' sums answer "how many BASIC per day" directly.
 */
export function fromOzoneEvent(e: OzoneEvent): NormalizedEvent {
  const { device_id: _d, event_id, ts, counter, treatment, firmware, event, ...rest } = e;
  const metrics: Metrics = {};
  if (counter !== undefined) metrics.counter = counter;
  if (treatment) metrics[`treatments.${treatment.toLowerCase()}`] = 1;
  return {
    eventId: event_id,
    kind: event === 'status' || event === 'heartbeat' ? 'status' : 'event',
    ts: parseDeviceTime(ts),
    metrics,
    attributes: { event, ...(treatment ? { treatment } : {}), ...(firmware ? { firmware } : {}), ...rest },
  };
}

const TREATMENT_BY_MODE = { BASIC: 'basic', STANDARD: 'standard', PREMIUM: 'premium' } as const;

/** Legacy ozone firmware form: counters per treatment type, no event id (derived from mac+time+mode). */
export function fromLegacyForm(f: LegacyIotForm): NormalizedEvent {
  const metrics: Metrics = {};
  const put = (name: string, v: number | undefined) => {
    if (v !== undefined && Number.isFinite(v)) metrics[name] = v;
  };
  put('count_basic', f.count1);
  put('count_standard', f.count2);
  put('count_premium', f.count3);
  put('on_time_basic', f.type1);
  put('on_time_standard', f.type2);
  put('on_time_premium', f.type3);
  if (f.mode !== 'status') metrics[`treatments.${TREATMENT_BY_MODE[f.mode]}`] = 1;
  if (f.rtc_available) metrics.rtc_available = f.rtc_available === 'true' ? 1 : 0;
  if (f.sd_available) metrics.sd_available = f.sd_available === 'true' ? 1 : 0;
  return {
    eventId: derivedEventId('legacy', f.macaddr.toUpperCase(), f.timestamp, f.mode),
    kind: f.mode === 'status' ? 'status' : 'event',
    ts: parseDeviceTime(f.timestamp),
    metrics,
    attributes: { mode: f.mode, legacy: true },
  };
}

/** Reading aggregator seed: one reading per element; the id is derived from device and time. */
export function fromReading(r: Reading): NormalizedEvent {
  return {
    eventId: derivedEventId('reading', r.device_id, r.timestamp),
    kind: 'telemetry',
    ts: parseDeviceTime(r.timestamp),
    metrics: { reading: r.reading },
    attributes: r.customer_id ? { customer_id: r.customer_id } : {},
  };
}
