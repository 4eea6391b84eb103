import { AppError } from '@telemetry/contracts';
import { z } from 'zod';

/**
 * The attributes the product itself reads, with their one schema. They are checked wherever an
 * asset is written (the canonical /api/assets and every seed alias go through the repository), so
 * `price: -5` or `max_consumption: "free"` is refused the same way on every URL (issue 19).
 * Other keys are free-form; null removes a key (see updateAsset).
 */
const nonNegative = z.number().finite().min(0);
export const KNOWN_ATTRIBUTES: Record<string, z.ZodType> = {
  /** Energy seed (004): watts and a currency amount. */
  max_consumption: nonNegative,
  price: nonNegative,
  /** Dispenser seed (000): what it dispenses, its size and its own low-level threshold (the rules read it). */
  dispenser_type: z.string().max(100),
  capacity: z.number().finite().positive(),
  low_level_threshold: nonNegative,
  current_level: nonNegative,
};

export function checkAttributes(attrs: Record<string, unknown> | undefined, path = 'attributes'): void {
  if (!attrs) return;
  const errors: { path: string; message: string; code?: string }[] = [];
  for (const [key, schema] of Object.entries(KNOWN_ATTRIBUTES)) {
    const v = attrs[key];
    if (v === undefined || v === null) continue;
    const r = schema.safeParse(v);
    if (!r.success)
      for (const i of r.error.issues) errors.push({ path: `body.${path}.${key}`, message: i.message, code: i.code });
  }
  if (errors.length > 0)
    throw new AppError(
      'VALIDATION_FAILED',
      `Invalid body: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`,
      {
        details: { errors },
      },
    );
}
