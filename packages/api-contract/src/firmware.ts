import { z } from 'zod';
import { isoString } from './common.js';

/** A firmware image (#18): POST /api/firmware, GET /api/firmware items. */
export const FirmwareImage = z.object({
  id: z.string(),
  tenantId: z.string(),
  deviceType: z.string(),
  version: z.string(),
  /** bytes */
  size: z.number(),
  /** hex, computed by the server from the uploaded bytes */
  sha256: z.string(),
  notes: z.string(),
  createdBy: z.string().nullable(),
  createdAt: isoString,
});
export type FirmwareImage = z.infer<typeof FirmwareImage>;

/** GET /api/firmware: the newest images (not paged: `limit` of them). */
export const FirmwareImageList = z.object({ items: z.array(FirmwareImage) });
export type FirmwareImageList = z.infer<typeof FirmwareImageList>;

export const RolloutDeviceState = z.enum(['pending', 'notified', 'downloading', 'installing', 'updated', 'failed']);
export type RolloutDeviceState = z.infer<typeof RolloutDeviceState>;

/** A rollout with its per-state counts: POST /api/firmware/rollouts, GET /api/firmware/rollouts items. */
export const Rollout = z.object({
  id: z.string(),
  tenantId: z.string(),
  /** null once the image was deleted (the rollout keeps version, checksum and size) */
  imageId: z.string().nullable(),
  deviceType: z.string(),
  version: z.string(),
  sha256: z.string(),
  size: z.number(),
  expiresAt: isoString,
  createdBy: z.string().nullable(),
  createdAt: isoString,
  /** active: devices still at it; done: every device updated or failed; expired: ended with some unfinished */
  status: z.enum(['active', 'done', 'expired']),
  summary: z.object({
    pending: z.number(),
    notified: z.number(),
    downloading: z.number(),
    installing: z.number(),
    updated: z.number(),
    failed: z.number(),
    total: z.number(),
  }),
});
export type Rollout = z.infer<typeof Rollout>;

/** GET /api/firmware/rollouts: the newest rollouts (not paged: `limit` of them). */
export const RolloutList = z.object({ items: z.array(Rollout) });
export type RolloutList = z.infer<typeof RolloutList>;

const RolloutDevice = z.object({
  deviceId: z.string(),
  state: RolloutDeviceState,
  fromVersion: z.string().nullable(),
  /** bytes of the image the device has (as it reported, or as downloaded) */
  bytes: z.number(),
  /** download requests the API served it (a resumed download counts each range) */
  downloads: z.number(),
  error: z.string().nullable(),
  commandId: z.string().nullable(),
  updatedAt: isoString,
  finishedAt: isoString.nullable(),
});
export type RolloutDevice = z.infer<typeof RolloutDevice>;

/** GET /api/firmware/rollouts/{rolloutId}. */
export const RolloutDetail = Rollout.extend({ devices: z.array(RolloutDevice) });
export type RolloutDetail = z.infer<typeof RolloutDetail>;

/** POST /api/device/firmware/progress (a device's report of a rollout) accepted. */
export const FirmwareReportRecorded = z.object({ recorded: z.literal(true) });
