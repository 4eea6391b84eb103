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
  channel: Channel;
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
  const { identity, payload, receivedAt } = input;
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
    const event = fromMqtt(kindOf(input.channel), parsed.data);
    const ts = event.ts ?? receivedAt.toISOString();
    const value = encodeMessage(TelemetryRawV1, {
      v: 1,
      tenantId: identity.tenantId,
      deviceId: identity.deviceId,
      eventId: event.eventId,
      kind: event.kind,
      ts,
      receivedAt: receivedAt.toISOString(),
      source: 'mqtt',
      metrics: event.metrics,
      attributes: event.attributes,
      trace: { ...(event.ts ? { device: Date.parse(event.ts) } : {}), gateway: receivedAt.getTime() },
    });
    return { ok: true, eventId: event.eventId, value };
  } catch (err) {
    return dead('schema_invalid', (err as Error).message, parsed.data.event_id);
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
