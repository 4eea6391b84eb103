import { z } from 'zod';
import { isoString } from './common.js';

const nullableString = z.string().nullable();

/** A maintenance task as /api/tasks lists it, with device/asset names and its site's zone (#21). */
export const Task = z.object({
  id: z.string(),
  tenantId: z.string(),
  ruleId: nullableString,
  assetId: nullableString,
  assetName: nullableString,
  deviceId: nullableString,
  deviceName: nullableString,
  siteId: nullableString,
  timezone: z.string(),
  title: z.string(),
  description: z.string(),
  status: z.enum(['not_started', 'in_progress', 'finished']),
  dueAt: isoString.nullable(),
  triggerValue: z.number().nullable(),
  assignees: z.array(z.string()),
  createdAt: isoString,
  createdBy: nullableString,
  startedAt: isoString.nullable(),
  startedBy: nullableString,
  finishedAt: isoString.nullable(),
  finishedBy: nullableString,
});
export type Task = z.infer<typeof Task>;

/** GET /api/tasks/{id}: the task with its status history. */
export const TaskDetail = Task.extend({
  events: z.array(z.object({ from: nullableString, to: z.string(), actorId: nullableString, at: isoString })),
});
export type TaskDetail = z.infer<typeof TaskDetail>;
