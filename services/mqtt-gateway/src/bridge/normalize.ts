import {
  type DeadReason,
  derivedEventId,
  encodeMessage,
  fromMqtt,
  MqttPayload,
  TelemetryDeadV1,
  TelemetryRawV1,
} from '@telemetry/contracts';
import type { DeviceIdentity } from '@telemetry/registry';
import { type Channel, kindOf } from '../topics.js';

export interface MqttInput {
  identity: DeviceIdentity;
  topic: string;
  /** Undefined: the topic is not one of the device's own; dead-lettered `acl_denied`. */
  channel: Channel | undefined;
  payload: Buffer;
  receivedAt: Date;
  /** Larger payloads are dead-lettered as `too_large` (the packet itself passed the packet guard). */
  maxPayloadBytes: number;
  /**
   * A Last Will: fixed at CONNECT, it cannot carry a fresh event id, so one is derived from the
   * device and the time the will fired when it has none.
   */
  will?: boolean;
}

/** One message for the bus: the raw event, or its dead letter. Keyed by device id either way. */
export type Normalized =
  | { ok: true; eventId: string; value: Buffer }
  | { ok: false; reason: DeadReason; detail: string; value: Buffer };

/** MqttPayload + fromMqtt, as every edge does: a device payload becomes telemetry.raw.v1 or a dead letter. */
export function normalizeMqtt(input: MqttInput): Normalized {
  const { identity, payload, receivedAt, channel } = input;
  const dead = (reason: DeadReason, detail: string, eventId: string | null = null): Normalized => ({
    ok: false,
    reason,
    detail,
    value: encodeMessage(TelemetryDeadV1, {
      v: 1,
      reason,
      detail: detail.slice(0, 1_000),
      tenantId: identity.tenantId,
      deviceId: identity.deviceId,
      eventId,
      source: 'mqtt',
      channel: input.topic,
      original: payload.toString('base64'),
      receivedAt: receivedAt.toISOString(),
    }),
  });

  if (channel === undefined) {
    return dead(
      'acl_denied',
      `topic ${input.topic.slice(0, 200)} is not devices/${identity.deviceId}/telemetry|events|status`,
    );
  }
  if (payload.length > input.maxPayloadBytes) {
    return dead('too_large', `payload of ${payload.length} bytes exceeds ${input.maxPayloadBytes}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(payload.toString('utf8'));
  } catch (err) {
    return dead('not_json', (err as Error).message);
  }
  if (input.will && isObject(json) && json.event_id === undefined) {
    json.event_id = derivedEventId('will', identity.deviceId, receivedAt.getTime());
  }
  const parsed = MqttPayload.safeParse(json);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    if (isObject(json) && json.event_id === undefined) return dead('no_event_id', detail);
    return dead('schema_invalid', detail, isObject(json) && typeof json.event_id === 'string' ? json.event_id : null);
  }
  try {
    const event = fromMqtt(kindOf(channel), parsed.data);
    const receivedIso = receivedAt.toISOString();
    const ts = event.ts ?? receivedIso;
    const message: TelemetryRawV1 = {
      v: 1,
      tenantId: identity.tenantId,
      deviceId: identity.deviceId,
      eventId: event.eventId,
      kind: event.kind,
      ts,
      receivedAt: receivedIso,
      source: 'mqtt',
      metrics: event.metrics,
      attributes: event.attributes,
      trace: event.ts
        ? { device: Date.parse(event.ts), gateway: receivedAt.getTime() }
        : { gateway: receivedAt.getTime() },
    };
    return { ok: true, eventId: event.eventId, value: encodeRaw(message) };
  } catch (err) {
    return dead('schema_invalid', (err as Error).message, parsed.data.event_id);
  }
}

/**
 * telemetry.raw.v1 as built above: the device input was validated (MqttPayload) and the message is
 * constructed by code typed against the schema, so the one part a device can still get wrong (metric
 * names taken from top-level fields, device times outside years 0000-9999) is checked here by hand;
 * the zod schema runs only when that check fails, so it decides (and words the dead letter's detail)
 * exactly as before. `normalize.test.ts` compares both encodings.
 */
export function encodeRaw(message: TelemetryRawV1): Buffer {
  return rawIsPlainlyValid(message) ? Buffer.from(JSON.stringify(message)) : encodeMessage(TelemetryRawV1, message);
}

/** ISO 8601 as Date.toISOString writes it for years 0000-9999 (what the schema's datetime accepts). */
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const KINDS: ReadonlySet<string> = new Set(['telemetry', 'event', 'status']);

/** True only when TelemetryRawV1.parse would return the message unchanged; false = let zod decide. */
export function rawIsPlainlyValid(m: TelemetryRawV1): boolean {
  if (m.v !== 1 || m.source !== 'mqtt' || !KINDS.has(m.kind)) return false;
  if (typeof m.tenantId !== 'string' || m.tenantId.length < 1) return false;
  if (typeof m.deviceId !== 'string' || m.deviceId.length < 1 || m.deviceId.length > 128) return false;
  if (typeof m.eventId !== 'string' || m.eventId.length < 1 || m.eventId.length > 128) return false;
  if (!ISO_UTC.test(m.ts) || !ISO_UTC.test(m.receivedAt)) return false;
  if (Object.getPrototypeOf(m.metrics) !== Object.prototype) return false;
  for (const key in m.metrics) {
    if (!Object.hasOwn(m.metrics, key)) return false;
    const value = m.metrics[key];
    if (key.length < 1 || key.length > 64 || typeof value !== 'number' || !Number.isFinite(value)) return false;
  }
  if (Object.getPrototypeOf(m.attributes) !== Object.prototype) return false;
  const { device, gateway } = m.trace;
  if (device !== undefined && !Number.isFinite(device)) return false;
  if (gateway !== undefined && !Number.isFinite(gateway)) return false;
  return true;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
