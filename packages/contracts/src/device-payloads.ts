import { z } from 'zod';

/**
 * What devices send, as the seeds' firmware sends it (wire formats that can't change),
 * and the generic MQTT shape of new firmware. Each normalizes to a NormalizedEvent.
 */

const MAC = /^([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}$/;

/** Ozone seed: POST /api/handshake/ */
export const HandshakeRequest = z.object({
  mac: z.string().regex(MAC, 'mac must look like EC:E3:34:46:2B:C0'),
  firmware: z.string().min(1).max(64),
});
export type HandshakeRequest = z.infer<typeof HandshakeRequest>;

export const HandshakeResponse = z.object({
  device_id: z.string(),
  token: z.string(),
  assigned: z.boolean(),
});
export type HandshakeResponse = z.infer<typeof HandshakeResponse>;

/** What the device HTTP endpoints acknowledge (services/api/src/device-routes), once the bus did. */
export const EventAck = z.object({ ack: z.literal(true), event_id: z.string() });
export const ReadingsAck = z.object({ ack: z.literal(true), count: z.number().int() });
/** The ozone seed's legacy `POST /api/iot/` answer. */
export const LegacyIotAck = z.object({ status: z.literal('ok') });

/** Device time: ISO 8601, epoch seconds or epoch milliseconds (device-time.ts tells them apart). */
const DeviceTime = z.union([z.string().min(1), z.number().finite().positive()]);

/** An event id as firmware sends it: a string, or a number (a counter), kept as its decimal string. */
const EventId = z.union([
  z.string().min(1).max(128),
  z
    .number()
    .finite()
    .transform((n) => String(n)),
]);

export const Treatment = z.enum(['BASIC', 'STANDARD', 'PREMIUM']);

/** Ozone seed: POST /api/device/events/ (idempotent on event_id). */
export const OzoneEvent = z
  .object({
    device_id: z.string().min(1).max(128),
    firmware: z.string().max(64).optional(),
    event_id: EventId,
    event: z.string().min(1).max(64),
    treatment: Treatment.optional(),
    counter: z.number().int().nonnegative().optional(),
    ts: DeviceTime.optional(),
  })
  .passthrough();
export type OzoneEvent = z.infer<typeof OzoneEvent>;

/** Ozone seed, legacy firmware: POST /api/iot/ as application/x-www-form-urlencoded. */
export const LegacyIotForm = z.object({
  mode: z.enum(['BASIC', 'STANDARD', 'PREMIUM', 'status']),
  macaddr: z.string().regex(MAC, 'macaddr must look like EC:E3:34:46:2B:C0'),
  type1: z.coerce.number().optional(),
  type2: z.coerce.number().optional(),
  type3: z.coerce.number().optional(),
  count1: z.coerce.number().int().optional(),
  count2: z.coerce.number().int().optional(),
  count3: z.coerce.number().int().optional(),
  timestamp: z.string().min(1),
  rtc_available: z.enum(['true', 'false']).optional(),
  sd_available: z.enum(['true', 'false']).optional(),
});
export type LegacyIotForm = z.infer<typeof LegacyIotForm>;

/** Reading aggregator seed: an array of readings. */
export const Reading = z.object({
  timestamp: z.string().min(1),
  reading: z.number().finite(),
  device_id: z.string().min(1).max(128),
  customer_id: z.string().min(1).optional(),
});
export const ReadingBatch = z.array(Reading).min(1).max(10_000);
export type Reading = z.infer<typeof Reading>;

/** Dispenser seed: POST /dispensers/<id>/update-level/ */
export const DispenserLevel = z.object({
  current_level: z.number().finite().min(0),
  event_id: EventId.optional(),
  ts: DeviceTime.optional(),
});

/**
 * New firmware over MQTT on devices/{id}/telemetry|events|status:
 * {"event_id":"d1-42","ts":"2026-01-01T00:00:00Z","metrics":{"temperature":21.5}}
 * Numeric top-level fields are accepted as metrics too (flat ESP32 payloads).
 */
export const MqttPayload = z
  .object({
    event_id: z.string().min(1).max(128),
    ts: DeviceTime.optional(),
    metrics: z.record(z.string().min(1).max(64), z.union([z.number().finite(), z.boolean()])).optional(),
  })
  .passthrough();
export type MqttPayload = z.infer<typeof MqttPayload>;
