import { Roles } from '@telemetry/auth/roles';
import { z } from 'zod';
import { parentRef, typedAsset } from './compat-typed-assets.js';

// The dispenser seed (000_*): /floors/, /pantries/, /dispensers/ (also under /api), its level
// update and its /users/register/. Its floor > pantry > dispenser tree is assets of those types.

/** A floor: /floors/ (list: an array of these; the next page's cursor is in X-Next-Cursor). */
export const Floor = typedAsset({ number: z.number().int().nullable(), description: z.string().nullable() });

/** A pantry of a floor: /pantries/. */
export const Pantry = typedAsset({ floor: parentRef, description: z.string().nullable() });

/** A dispenser of a pantry: /dispensers/; `current_level` is the last level reported. */
export const Dispenser = typedAsset({
  pantry: parentRef,
  dispenser_type: z.string().nullable(),
  capacity: z.number().nullable(),
  low_level_threshold: z.number().nullable(),
  current_level: z.number().nullable(),
});

/**
 * POST /dispensers/{id}/update-level/: the level went through the pipeline as a reading of
 * `device_id` (the dispenser's device, or its virtual one); `low` is below its threshold.
 */
export const DispenserLevelReport = z.strictObject({
  id: z.string(),
  device_id: z.string(),
  event_id: z.string(),
  current_level: z.number(),
  low: z.boolean(),
});

/** POST /users/register/: the user created (email '' when none). */
export const DispenserUser = z.strictObject({
  id: z.string(),
  username: z.string(),
  email: z.string(),
  role: z.enum(Roles),
});
