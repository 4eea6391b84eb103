import { z } from 'zod';

/** Query-string booleans: true/false/1/0/yes/no. */
export const qBool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', 'True', 'False'])
  .transform((v) => ['true', '1', 'yes', 'True'].includes(v));

/** A repeated query parameter (?metric=a&metric=b) or a comma list (?metric=a,b). */
export function qList<T extends z.ZodType>(item: T) {
  return z.preprocess(
    (v) =>
      v === undefined ? undefined : (Array.isArray(v) ? v : [v]).flatMap((x) => String(x).split(',')).filter(Boolean),
    z.array(item).max(100),
  );
}

/** Any 8-4-4-4-12 hex id (uuid columns). */
export const id = z.guid();
export const deviceId = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/,
    'device ids are 1-128 of A-Z a-z 0-9 _ . : - (not starting with a symbol)',
  );

/** Years a query may name: telemetry is stamped by devices of this era (#15: 0001-9999 passed). */
export const MIN_YEAR = 1970;
export const MAX_YEAR = 2199;

/** ISO 8601 date or date-time, parsed to a Date; years MIN_YEAR..MAX_YEAR. */
export const isoTime = z
  .string()
  .max(40)
  .refine((s) => !Number.isNaN(Date.parse(s)), 'must be an ISO 8601 date or date-time')
  .refine((s) => {
    const year = new Date(s).getUTCFullYear();
    return year >= MIN_YEAR && year <= MAX_YEAR;
  }, `must be in the years ${MIN_YEAR}-${MAX_YEAR}`)
  .transform((s) => new Date(s))
  .meta({ format: 'date-time' });

export const MAX_PAGE = 500;

export const pageQuery = {
  limit: z.coerce.number().int().min(1).max(MAX_PAGE).default(50),
  cursor: z.string().max(512).optional(),
};

export const timeZone = z
  .string()
  .max(64)
  .refine((tz) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  }, 'must be an IANA time zone such as Europe/Berlin');

export const attributes = z.record(z.string().max(64), z.unknown());

export const confirmQuery = z.object({ confirm: z.string().max(200).optional() });
