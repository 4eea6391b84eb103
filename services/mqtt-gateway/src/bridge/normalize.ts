import {
  type CompiledDecoder,
  type DeadReason,
  decodeDevicePayload,
  derivedEventId,
  encodeMessage,
  type IdSource,
  jsonHazardMessage,
  scanJson,
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
  /** The device type's payload decoder; the built-in default when absent. */
  decoder?: CompiledDecoder;
  /**
   * Called with an arrival-derived id before the message is built; returns the id to use (the
   * gateway's QoS 1 resend memory gives a DUP resend its first copy's id).
   */
  resolveArrivalId?: (eventId: string, contentHash: string) => string;
  /** Derive the will's event id from this instead of the time (a dead instance's will: see foreign-will.ts). */
  willId?: string;
}

/** One message for the bus: the raw event, or its dead letter. Keyed by device id either way. */
export type Normalized =
  | { ok: true; eventId: string; idSource: IdSource; value: Buffer }
  | { ok: false; reason: DeadReason; detail: string; value: Buffer };

/**
 * decodeDevicePayload (packages/contracts), as every edge does: a device payload becomes
 * telemetry.raw.v1 or a dead letter.
 */
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
  // PostgreSQL refuses U+0000 and deep nesting means nothing here: dead-lettered with the reason
  // instead of acknowledged and then failing in the pipeline (#20)
  const hazard = scanJson(payload);
  if (hazard) return dead('schema_invalid', jsonHazardMessage(hazard));
  const decoded = decodeDevicePayload({
    deviceId: identity.deviceId,
    kind: kindOf(channel),
    payload,
    receivedAt,
    decoder: input.decoder,
    arrivalId: input.will,
  });
  if (!decoded.ok) return dead(decoded.reason, decoded.detail, decoded.eventId);
  const event = decoded.event;
  const eventId =
    // a dead instance's will: the same id whichever survivor bridges it (see foreign-will.ts)
    event.idSource === 'arrival' && input.willId !== undefined
      ? derivedEventId('will', identity.deviceId, input.willId)
      : event.idSource === 'arrival' && event.contentHash && input.resolveArrivalId
        ? input.resolveArrivalId(event.eventId, event.contentHash)
        : event.eventId;
  try {
    const receivedIso = receivedAt.toISOString();
    const message: TelemetryRawV1 = {
      v: 1,
      tenantId: identity.tenantId,
      deviceId: identity.deviceId,
      eventId,
      kind: event.kind,
      ts: event.ts ?? receivedIso,
      receivedAt: receivedIso,
      source: 'mqtt',
      metrics: event.metrics,
      attributes: event.attributes,
      trace: event.ts
        ? { device: Date.parse(event.ts), gateway: receivedAt.getTime() }
        : { gateway: receivedAt.getTime() },
    };
    return { ok: true, eventId, idSource: event.idSource, value: encodeRaw(message) };
  } catch (err) {
    return dead('schema_invalid', (err as Error).message, eventId);
  }
}

/**
 * telemetry.raw.v1 as built above: the device input was decoded (decodeDevicePayload) and the message is
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
