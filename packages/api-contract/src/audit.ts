import { z } from 'zod';
import { isoString } from './common.js';

/** GET /api/audit item: one change made by a person. */
export const AuditEntry = z.object({
  id: z.string(),
  tenantId: z.string().nullable(),
  actorId: z.string().nullable(),
  /** The actor's current username; null once that user is deleted (or for the system). */
  actorUsername: z.string().nullable(),
  action: z.string(),
  entity: z.string(),
  entityId: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
  at: isoString,
});
export type AuditEntry = z.infer<typeof AuditEntry>;
