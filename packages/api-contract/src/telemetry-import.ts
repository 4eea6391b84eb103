import { z } from 'zod';

/** POST /api/telemetry/import: what became of the rows (`errors`: the first 100 refusals). */
export const ImportSummary = z.object({
  accepted: z.number(),
  duplicates: z.number(),
  conflicts: z.number(),
  rejected: z.number(),
  errors: z.array(z.object({ line: z.number(), reason: z.string() })),
});

/**
 * The same import with `Accept: application/x-ndjson`: progress lines, then the summary, or an
 * error line when it failed after the answer began (its status is gone by then).
 */
export const ImportStreamLine = z.union([
  z.object({ progress: z.object({ lines: z.number() }) }),
  ImportSummary,
  z.object({ error: z.object({ code: z.string(), status: z.number(), detail: z.string() }) }),
]);
