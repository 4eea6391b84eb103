import { z } from 'zod';

/** GET /api/device-types item, PUT /api/device-types/{typeName}. */
export const DeviceType = z.object({
  name: z.string(),
  expectedIntervalS: z.number(),
  /** metric → band; `*` = every other metric; {} = every reading is stored. */
  deadband: z.record(z.string(), z.number()),
  /** devices of this type in the tenant */
  devices: z.number(),
});
export type DeviceType = z.infer<typeof DeviceType>;
