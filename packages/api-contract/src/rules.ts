import { z } from 'zod';
import { isoString } from './common.js';

const nullableString = z.string().nullable();
const nullableNumber = z.number().nullable();

/** A rule of any kind: /api/rules. Exactly one of deviceId, assetType, assetId is set. */
export const Rule = z.object({
  id: z.string(),
  tenantId: z.string(),
  name: z.string(),
  kind: z.enum(['threshold', 'offline', 'maintenance', 'invalid_data']),
  deviceId: nullableString,
  assetType: nullableString,
  assetId: nullableString,
  metric: nullableString,
  operator: z.enum(['>', '>=', '<', '<=', 'outside']).nullable(),
  threshold: nullableNumber,
  thresholdHigh: nullableNumber,
  clearThreshold: nullableNumber,
  clearHigh: nullableNumber,
  minDurationS: z.number(),
  offlineFactor: z.number(),
  serviceInterval: nullableNumber,
  taskDueDays: z.number(),
  severity: z.enum(['info', 'warning', 'critical']),
  preset: nullableString,
  enabled: z.boolean(),
  reminderS: z.number(),
  /** Sent to the rule's device when it fires (#18). */
  command: z.record(z.string(), z.unknown()).nullable(),
  createdAt: isoString,
  updatedAt: isoString,
});
export type Rule = z.infer<typeof Rule>;

/** POST /api/rules/test: when a draft rule would have fired over a device's recent stored data. */
export const RuleTestResult = z.object({
  deviceId: z.string(),
  /** The device's site zone (the tenant's without one): the zone its times are shown in. */
  timezone: z.string(),
  from: isoString,
  to: isoString,
  samples: z.number(),
  evaluated: z.number(),
  truncated: z.boolean(),
  wouldFire: z.boolean(),
  episodes: z.array(
    z.object({
      openedAt: isoString,
      resolvedAt: isoString.nullable(),
      value: nullableNumber,
      threshold: nullableNumber,
      message: z.string(),
      /** maintenance: the task it would have created */
      task: nullableString,
    }),
  ),
});
export type RuleTestResult = z.infer<typeof RuleTestResult>;

/** Who is emailed about alerts: per asset (and its subtree) or per rule. */
export const Recipient = z.object({
  id: z.string(),
  tenantId: z.string(),
  assetId: nullableString,
  ruleId: nullableString,
  email: z.string(),
  name: z.string(),
  cooldownS: z.number(),
  createdAt: isoString,
});
export type Recipient = z.infer<typeof Recipient>;
