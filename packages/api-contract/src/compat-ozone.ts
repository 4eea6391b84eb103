import { z } from 'zod';
import { parentRef, typedAsset } from './compat-typed-assets.js';

// The ozone seed (003_*): outlets > machines (assets), its devices with their DeviceStatus and
// MachineDevice, its TelemetryEvent, and its statistics URLs (services/api/src/compat/ozone).

/** An outlet: /api/outlets/ (list: an array; the next page's cursor is in X-Next-Cursor). */
export const Outlet = typedAsset({
  address: z.string().nullable(),
  contact_person: z.string().nullable(),
  /** Owner-maintained metrics of the seed (optional there too). */
  total_sva: z.number().nullable(),
  average_intage_services: z.number().nullable(),
  number_of_machines: z.number().int().nullable(),
});

/** A machine of an outlet: /api/machines/; `device_id` is the device bound to it now. */
export const Machine = typedAsset({ outlet: parentRef, device_id: z.string().nullable() });
