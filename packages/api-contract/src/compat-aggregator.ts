import { z } from 'zod';

// The reading aggregator seed (001_*): services/api/src/compat/aggregator.

/**
 * The seed's timestamps: Python's `isoformat()` of an aware UTC time, `2021-01-01T00:00:00+00:00`
 * (fractions only when there are any; see compat/aggregator/time.ts), not JSON's `...000Z`.
 */
const seedTime = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?\+00:00$/)
  .meta({ format: 'date-time' });

/** POST /api/device/create/: the readings stored, in the order posted. */
export const UploadedReadings = z.array(
  z.strictObject({
    timestamp: seedTime,
    reading: z.number(),
    device_id: z.string(),
    /** null when the reading named none */
    customer_id: z.string().nullable(),
  }),
);

/** GET /api/readings/aggregated/: per customer and device, the mean reading per `aggregation_size_minutes`. */
export const AggregatedReadings = z.strictObject({
  data: z.array(
    z.strictObject({
      device_id: z.string(),
      /** the tenant's external id (the seed's customer UUID), else its id */
      customer_id: z.string(),
      from: seedTime,
      to: seedTime,
      aggregation_size_minutes: z.number().int(),
      aggregated_values: z.array(z.strictObject({ from: seedTime, value: z.number().nullable() })),
    }),
  ),
});
