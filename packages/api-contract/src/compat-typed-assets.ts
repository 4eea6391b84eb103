import { z } from 'zod';
import { isoString } from './common.js';

/**
 * A seed's resource as a typed view of the asset tree (services/api/src/compat/typed-assets.ts
 * `present`): the seed's field names, snake_case, with `own` (its parent's id and its fields, each
 * null when unset) between the common ones. Strict: a seed client reads exactly these keys.
 */
export function typedAsset<S extends z.ZodRawShape>(own: S) {
  return z.strictObject({
    id: z.string(),
    name: z.string(),
    is_active: z.boolean(),
    ...own,
    site_id: z.string().nullable(),
    /** Every attribute of the asset (the fields above included): free-form JSON, as /api/assets keeps it. */
    attributes: z.record(z.string(), z.unknown()),
    created_at: isoString,
    updated_at: isoString,
  });
}

/** The id of the asset's parent in the tree (the seed's foreign key), null at the top. */
export const parentRef = z.string().nullable();
