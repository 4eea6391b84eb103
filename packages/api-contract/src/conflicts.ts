import { z } from 'zod';
import { isoString } from './common.js';

/** One version of an event, as stored or as it came in conflicting (packages/timeseries query/conflicts.ts). */
const EventVersion = z.object({
  ts: isoString,
  /** Device time as sent; null when the device sent none. */
  deviceTs: isoString.nullable(),
  receivedAt: isoString,
  kind: z.string(),
  source: z.string(),
  metrics: z.record(z.string(), z.number()),
  attributes: z.record(z.string(), z.unknown()),
});

/** An event id that came with two payloads (#14): the stored version and the one kept apart. */
const EventConflict = z.object({
  id: z.string(),
  deviceId: z.string(),
  eventId: z.string(),
  reason: z.literal('id_conflict'),
  detectedAt: isoString,
  /** null when retention already removed it, or a deadband kept no row. */
  stored: EventVersion.nullable(),
  /** Not stored, not in the rollups. */
  conflicting: EventVersion,
});

/** GET /api/devices/{deviceId}/conflicts: newest first; `nextBefore` is the `before` of the next page. */
export const ConflictPage = z.object({ items: z.array(EventConflict), nextBefore: z.string().nullable() });

/** GET /api/telemetry/conflicts: the page, and the count per device of the whole tenant. */
export const TenantConflictPage = ConflictPage.extend({ perDevice: z.record(z.string(), z.number()) });
