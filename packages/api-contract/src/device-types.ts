import { z } from 'zod';

/** GET /api/device-types item, PUT /api/device-types/{typeName}. */
export const DeviceType = z.object({
  name: z.string(),
  /** null: the type has no row of its own yet (only devices name it): the default applies */
  expectedIntervalS: z.number().nullable(),
  /** metric → band; `*` = every other metric; {} = every reading is stored. */
  deadband: z.record(z.string(), z.number()),
  /** metric → how people read it (#21): `uptime_s` → label "Uptime", unit "s" (shown as a duration). */
  metrics: z.record(z.string(), z.object({ label: z.string().optional(), unit: z.string().optional() })),
  /** devices of this type in the tenant */
  devices: z.number(),
});
export type DeviceType = z.infer<typeof DeviceType>;
