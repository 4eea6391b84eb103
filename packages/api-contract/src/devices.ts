import { z } from 'zod';
import { isoString, page } from './common.js';

/** The latest value of one metric: `t` is epoch ms, device time. */
const LatestValue = z.object({ v: z.number(), t: z.number() });
export type LatestValue = z.infer<typeof LatestValue>;

/** A device as GET /api/devices/{deviceId} answers it (services/api/src/devices/repository.ts presentDevice). */
export const Device = z.object({
  id: z.string(),
  tenantId: z.string().nullable(),
  assetId: z.string().nullable(),
  name: z.string(),
  mac: z.string().nullable(),
  firmware: z.string().nullable(),
  deviceType: z.string(),
  state: z.enum(['pending', 'active', 'revoked']),
  online: z.boolean(),
  lastSeen: isoString.nullable(),
  expectedIntervalS: z.number(),
  notes: z.string(),
  attributes: z.record(z.string(), z.unknown()),
  latest: z.record(z.string(), LatestValue),
  eventCount: z.number(),
  createdAt: isoString,
});
export type Device = z.infer<typeof Device>;

/** GET /api/devices: a page; with count=true also `total`, counted up to a cap (`totalExact` false beyond it). */
export const DevicePage = page(Device).extend({
  total: z.number().optional(),
  totalExact: z.boolean().optional(),
});
export type DevicePage = z.infer<typeof DevicePage>;

const EdgeFlags = {
  handshakePolicy: z.enum(['mac', 'proof']),
  legacyHttp: z.boolean(),
  canRelay: z.boolean(),
};

/** POST /api/devices: the device and its one-time claim code (never shown again). */
export const RegisteredDevice = z.object({
  device: Device,
  claimCode: z.string(),
  edgePolicy: z.object(EdgeFlags),
});
export type RegisteredDevice = z.infer<typeof RegisteredDevice>;

/** POST /api/devices/{deviceId}/edge-policy. */
export const DeviceEdgePolicy = z.object({ deviceId: z.string(), ...EdgeFlags });

/** POST /api/devices/{deviceId}/rotate-token: the new token, shown once. */
export const RotatedToken = z.object({ deviceId: z.string(), token: z.string() });
export type RotatedToken = z.infer<typeof RotatedToken>;

/** GET /api/devices/{deviceId}/bindings item: which asset the device was bound to when. */
const DeviceBinding = z.object({
  id: z.string(),
  assetId: z.string(),
  assetName: z.string().nullable(),
  boundAt: isoString,
  unboundAt: isoString.nullable(),
  active: z.boolean(),
  boundBy: z.string().nullable(),
});
export const DeviceBindingPage = page(DeviceBinding);

/** POST /api/devices/bulk: each device succeeded or was refused on its own (code and message of the refusal). */
export const BulkOutcome = z.object({
  results: z.array(
    z.object({
      deviceId: z.string(),
      ok: z.boolean(),
      code: z.string().optional(),
      message: z.string().optional(),
    }),
  ),
  succeeded: z.number(),
  failed: z.number(),
});
export type BulkOutcome = z.infer<typeof BulkOutcome>;
