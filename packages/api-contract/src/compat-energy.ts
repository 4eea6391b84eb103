import { z } from 'zod';
import { isoString } from './common.js';
import { EnergyRole } from './compat-auth.js';

// The energy seed (004_*): its three services' rows (services/api/src/compat/energy/present.ts).
// Lists are plain arrays, as the seed's; GET /api/devices/ puts the next page's cursor in X-Next-Cursor.

/** user_db's `users` row: /api/users/ ('' for an unset email or phone, as the seed's). */
export const EnergyUser = z.strictObject({
  id: z.string(),
  username: z.string(),
  role: EnergyRole,
  fname: z.string(),
  lname: z.string(),
  email: z.string(),
  phone: z.string(),
  created_at: isoString,
});

/** device_db's `devices` row (an asset of type meter): /api/devices/; max_consumption in watts, null when unset. */
export const EnergyDevice = z.strictObject({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  max_consumption: z.number().nullable(),
  price: z.number().nullable(),
  created_at: isoString,
});

/** `user_device_mapping`: POST /api/devices/assign/, GET /api/mappings/. */
export const EnergyMapping = z.strictObject({
  id: z.string(),
  user_id: z.string(),
  device_id: z.string(),
  assigned_at: isoString,
});
