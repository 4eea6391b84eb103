import { z } from 'zod';
import { isoString } from './common.js';

/** A command to a device as the API shows it (packages/commands store.ts), with its state and reply. */
export const Command = z.object({
  id: z.string(),
  tenantId: z.string(),
  deviceId: z.string(),
  name: z.string(),
  params: z.record(z.string(), z.unknown()),
  expectReply: z.boolean(),
  status: z.enum(['queued', 'sent', 'delivered', 'replied', 'failed', 'expired']),
  /** Never delivered after this. */
  expiresAt: isoString,
  createdBy: z.string().nullable(),
  createdAt: isoString,
  sentAt: isoString.nullable(),
  deliveredAt: isoString.nullable(),
  repliedAt: isoString.nullable(),
  attempts: z.number(),
  /** The device's `result`, when it replied with one. */
  reply: z.unknown(),
  error: z.string().nullable(),
});
export type Command = z.infer<typeof Command>;

/** GET /api/devices/{deviceId}/commands: newest first (not paged: `limit` of the latest). */
export const CommandList = z.object({ items: z.array(Command) });
export type CommandList = z.infer<typeof CommandList>;
