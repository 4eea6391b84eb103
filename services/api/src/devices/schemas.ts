import { z } from 'zod';
import { deviceId, id, pageQuery } from '../http/validation.js';
import { DeviceSorts } from './repository.js';

export const DeviceParams = z.object({ deviceId });
// fields a device has whether an admin registers it or a manager edits it
export const DeviceName = z.string().max(200);
export const DeviceType = z.string().max(64);
/** How often the device reports, in seconds (the offline rule waits a multiple of it). */
export const ExpectedInterval = z
  .number()
  .int()
  .positive()
  .max(86_400 * 7);

export const DeviceListQuery = z.object({
  ...pageQuery,
  /** all | online | offline | pending (unregistered: waiting for an admin) | unbound (active, no asset). */
  status: z.enum(['all', 'online', 'offline', 'pending', 'unbound']).default('all'),
  state: z.enum(['pending', 'active', 'revoked']).optional(),
  assetId: id.optional(),
  siteId: id.optional(),
  deviceType: DeviceType.optional(),
  q: z.string().max(100).optional(),
  tenantId: id.optional(),
  /** The fleet table's sort: each key is indexed (migration 0024), keyset-paged by (key, id). */
  sort: z.enum(DeviceSorts).default('id'),
  dir: z.enum(['asc', 'desc']).default('asc'),
  /** `true`: also answer `total`, the matching devices counted up to a cap (a bounded scan). */
  count: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
});

/** A bulk action over the fleet table's selection: one page of devices at most. */
export const BulkBody = z.object({
  action: z.enum(['move', 'unbind', 'revoke', 'delete']),
  deviceIds: z.array(deviceId).min(1).max(200),
  /** Where `move` puts the devices. */
  assetId: id.optional(),
});
