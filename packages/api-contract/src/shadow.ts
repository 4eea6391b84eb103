import { z } from 'zod';
import { isoString } from './common.js';

const Attributes = z.record(z.string(), z.unknown());

/** A device's desired configuration, what it reported, and the difference (#18): GET /api/devices/{id}/shadow. */
export const Shadow = z.object({
  deviceId: z.string(),
  tenantId: z.string().nullable(),
  deviceType: z.string(),
  /** its type's defaults overlaid by its own values: what the device is to apply */
  desired: Attributes,
  /** 0 = nothing ever desired */
  version: z.number(),
  deviceDesired: Attributes,
  typeDefaults: Attributes,
  desiredAt: isoString.nullable(),
  reported: Attributes,
  /** the desired version the device last said it applied */
  reportedVersion: z.number(),
  reportedAt: isoString.nullable(),
  /** desired keys the device does not report with the same value */
  delta: z.record(z.string(), z.object({ desired: z.unknown(), reported: z.unknown() })),
  inSync: z.boolean(),
});
export type Shadow = z.infer<typeof Shadow>;

/** A device type's desired defaults: GET/PUT /api/device-types/{type}/desired. */
export const TypeDesired = z.object({
  deviceType: z.string(),
  version: z.number(),
  desired: Attributes,
  updatedAt: isoString.optional(),
});

/** What a device is given: devices/{id}/desired, GET /api/device/desired/. */
export const DesiredDocument = z.object({ version: z.number(), desired: Attributes });

/** POST /api/device/reported/ accepted. */
export const ReportAck = z.object({
  ack: z.literal(true),
  version: z.number(),
  inSync: z.boolean(),
  delta: z.record(z.string(), z.object({ desired: z.unknown(), reported: z.unknown() })),
});
