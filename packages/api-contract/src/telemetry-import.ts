import { z } from 'zod';

/** POST /api/telemetry/import: what became of the rows (`errors`: the first 100 refusals). */
export const ImportSummary = z.object({
  accepted: z.number(),
  duplicates: z.number(),
  conflicts: z.number(),
  rejected: z.number(),
  errors: z.array(z.object({ line: z.number(), reason: z.string() })),
});
