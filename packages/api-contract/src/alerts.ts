import { z } from 'zod';
import { isoString } from './common.js';

const nullableString = z.string().nullable();

/** An alert as /api/alerts lists it: with the names people read and the one zone its times are shown in (#21). */
export const Alert = z.object({
  id: z.string(),
  tenantId: z.string(),
  ruleId: nullableString,
  deviceId: nullableString,
  deviceName: nullableString,
  deviceType: nullableString,
  assetId: nullableString,
  assetName: nullableString,
  siteId: nullableString,
  siteName: nullableString,
  /** The site's IANA zone, the tenant's when the alert has no site. */
  timezone: z.string(),
  kind: z.enum(['threshold', 'offline', 'maintenance', 'manual', 'invalid_data']),
  severity: z.enum(['info', 'warning', 'critical']),
  state: z.enum(['open', 'acknowledged', 'resolved']),
  metric: nullableString,
  value: z.number().nullable(),
  threshold: z.number().nullable(),
  message: z.string(),
  historical: z.boolean(),
  openedAt: isoString,
  acknowledgedAt: isoString.nullable(),
  acknowledgedBy: nullableString,
  acknowledgedByName: nullableString,
  resolvedAt: isoString.nullable(),
  resolvedBy: nullableString,
  resolvedByName: nullableString,
  /** auto (cleared), manual, rule_disabled, rule_deleted */
  resolution: nullableString,
  assigneeId: nullableString,
  assigneeName: nullableString,
});
export type Alert = z.infer<typeof Alert>;

/** GET /api/alerts/{id}: the alert with its history, oldest first. */
export const AlertDetail = Alert.extend({
  acknowledgementNote: nullableString,
  events: z.array(
    z.object({
      change: z.string(),
      actorId: nullableString,
      actorName: nullableString,
      note: nullableString,
      at: isoString,
    }),
  ),
});
export type AlertDetail = z.infer<typeof AlertDetail>;
