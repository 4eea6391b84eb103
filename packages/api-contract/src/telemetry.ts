import { z } from 'zod';
import { isoString, page } from './common.js';

/** A stored event: GET /api/devices/{deviceId}/events, GET /api/telemetry/events. */
export const DeviceEvent = z.object({
  deviceId: z.string(),
  eventId: z.string(),
  /** The time it is filed under (device time; receive time when the device clock was skewed). */
  ts: isoString,
  receivedAt: isoString,
  kind: z.enum(['telemetry', 'event', 'status']),
  source: z.string(),
  metrics: z.record(z.string(), z.number()),
  attributes: z.record(z.string(), z.unknown()),
  skewed: z.boolean(),
  /** The device's own (skewed) time when it differs from ts. */
  deviceTs: isoString.nullable(),
});
export type DeviceEvent = z.infer<typeof DeviceEvent>;
export const DeviceEventPage = page(DeviceEvent);

export const Aggregation = z.enum(['avg', 'min', 'max', 'sum', 'count', 'first', 'last', 'delta']);

/** One bucket of one metric: GET /api/telemetry/aggregate items. */
export const SeriesPoint = z.object({
  /** null when grouped by tenant. */
  deviceId: z.string().nullable(),
  metric: z.string(),
  /** Bucket start, ISO UTC. */
  bucket: isoString,
  values: z.partialRecord(Aggregation, z.number().nullable()),
});
export type SeriesPoint = z.infer<typeof SeriesPoint>;
export const SeriesPoints = z.object({ items: z.array(SeriesPoint) });
export type SeriesPoints = z.infer<typeof SeriesPoints>;

/** Latest state of a device (device_state): GET /api/telemetry/latest items. */
export const DeviceLatest = z.object({
  deviceId: z.string(),
  lastSeen: isoString,
  lastTs: isoString,
  lastEventId: z.string(),
  lastKind: z.string(),
  attributes: z.record(z.string(), z.unknown()),
  values: z.record(z.string(), z.object({ value: z.number(), ts: isoString })),
  eventCount: z.number(),
});
export const DeviceLatestPage = page(DeviceLatest);

/** GET /api/telemetry/summary: latest state and per-metric figures over whole UTC hours. */
export const DeviceSummary = z.object({
  deviceId: z.string(),
  latest: DeviceLatest.nullable(),
  window: z.object({ from: isoString, to: isoString }),
  metrics: z.record(
    z.string(),
    z.object({
      count: z.number(),
      sum: z.number(),
      min: z.number(),
      max: z.number(),
      avg: z.number().nullable(),
      first: z.number(),
      last: z.number(),
    }),
  ),
});

/** DELETE /api/telemetry/devices/{deviceId} and /tenants/{tenantId}: how many events went. */
export const DevicePurged = z.object({ deviceId: z.string(), deleted: z.number() });
export const TenantPurged = z.object({ tenantId: z.string(), deleted: z.number() });
