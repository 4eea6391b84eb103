import { z } from 'zod';

/**
 * Response schemas describe the JSON on the wire (what `JSON.stringify` of a handler's answer
 * gives): times are ISO strings, never Dates.
 */
export const isoString = z.string().meta({ format: 'date-time' });

/** One page of a cursor-paginated list: `nextCursor` is null on the last page. */
export function page<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() });
}

/** The JSON of `page(item)` for an item type T (generic code: the dashboard's list walker). */
export type Page<T> = z.output<ReturnType<typeof page<z.ZodType<T>>>>;
