import { z } from 'zod';
import { isoString } from './common.js';

/** A message the edge or the pipeline refused (#14): GET /api/devices/{deviceId}/rejections. */
export const Rejection = z.object({
  id: z.string(),
  deviceId: z.string().nullable(),
  reason: z.string(),
  detail: z.string(),
  source: z.string(),
  channel: z.string(),
  eventId: z.string().nullable(),
  excerpt: z.string(),
  payloadBytes: z.number(),
  receivedAt: isoString,
});
export type Rejection = z.infer<typeof Rejection>;

const ReasonCount = z.object({ reason: z.string(), count: z.number() });

/** GET /api/rejections/summary: the tenant's rejections since a time, and all-time totals. */
export const RejectionSummary = z.object({
  tenantId: z.string(),
  since: isoString,
  total: z.number(),
  byReason: z.array(ReasonCount),
  byDevice: z.array(
    z.object({
      deviceId: z.string(),
      count: z.number(),
      lastAt: isoString,
      byReason: z.record(z.string(), z.number()),
    }),
  ),
  allTime: z.array(ReasonCount),
});
export type RejectionSummary = z.infer<typeof RejectionSummary>;
