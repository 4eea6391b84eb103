import { z } from 'zod';
import { isoString } from './common.js';

/** GET/PATCH /api/tenants/{tenantId}, the items of GET /api/tenants. */
export const Tenant = z.object({
  id: z.string(),
  name: z.string(),
  /** The aggregator seed's customer_id. */
  externalId: z.string().nullable(),
  timezone: z.string(),
  /** Free-form, with checked keys (telemetry, rejections, ingest); `operatorsSeeAll`: operators see every alert and task. */
  settings: z.looseObject({ operatorsSeeAll: z.boolean().optional() }),
  /** MAC-only device handshakes allowed (the seed's legacy firmware, #20). */
  allowMacOnly: z.boolean(),
  createdAt: isoString,
});
export type Tenant = z.infer<typeof Tenant>;
