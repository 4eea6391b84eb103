import { z } from 'zod';
import { isoString } from './common.js';
import { parentRef, typedAsset } from './compat-typed-assets.js';
import { DeviceLatest, DeviceSummary, TenantPurged } from './telemetry.js';

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

/** The seed's MachineDevice: the machine a device is bound to now, since when. */
const MachineDevice = z.strictObject({
  machine: z.string(),
  machine_name: z.string(),
  outlet: z.string().nullable(),
  device_id: z.string(),
  is_active: z.boolean(),
  assigned_date: isoString,
  deactivated_date: isoString.nullable(),
});

/**
 * The seed's Device + DeviceStatus + MachineDevice in one object (compat/ozone/present.ts
 * `ozoneDevice`): /api/devices/online/, /all/, /api/machines/unregistered/ (arrays; the next page's
 * cursor is in X-Next-Cursor). A status field is null when the device never reported it.
 */
export const OzoneDevice = z.strictObject({
  device_id: z.string(),
  name: z.string(),
  mac: z.string().nullable(),
  firmware: z.string().nullable(),
  assigned: z.boolean(),
  state: z.enum(['pending', 'active', 'revoked']),
  online: z.boolean(),
  last_seen: isoString.nullable(),
  notes: z.string(),
  wifi_connected: z.boolean().nullable(),
  rtc_available: z.boolean().nullable(),
  sd_card_available: z.boolean().nullable(),
  uptime_seconds: z.number().nullable(),
  /** the device's own clock as it sent it (not necessarily ISO), else the latest event's device time */
  device_timestamp: z.string().nullable(),
  current_count_basic: z.number().nullable(),
  current_count_standard: z.number().nullable(),
  current_count_premium: z.number().nullable(),
  counter: z.number().nullable(),
  /** BASIC|STANDARD|PREMIUM|status as the device sent it; null when unknown */
  mode: z.string().nullable(),
  machine_id: z.string().nullable(),
  machine: z.string().nullable(),
  machine_name: z.string().nullable(),
  outlet_id: z.string().nullable(),
  machine_device: MachineDevice.nullable(),
});

/** GET /api/devices-data/: the devices of one page with counts over that page. */
export const OzoneDevicesData = z.strictObject({
  devices: z.array(OzoneDevice),
  total: z.number().int(),
  online: z.number().int(),
  next_cursor: z.string().nullable(),
});

/** GET /api/telemetry/summary/: the device with per-metric figures over whole UTC hours. */
export const OzoneSummary = z.strictObject({
  ...OzoneDevice.shape,
  metrics: DeviceSummary.shape.metrics,
  window: DeviceSummary.shape.window,
});

/** The seed's TelemetryEvent (compat/ozone/present.ts `ozoneEvent`): /api/events/ (an array, newest first). */
export const OzoneEvent = z.strictObject({
  device_id: z.string(),
  event_id: z.string(),
  /** the firmware's `event` (treatment, status, heartbeat...), else the kind */
  event: z.string(),
  /** BASIC|STANDARD|PREMIUM|status, else the kind */
  event_type: z.string(),
  treatment: z.string().nullable(),
  counter: z.number().nullable(),
  occurred_at: isoString,
  device_timestamp: isoString,
  received_at: isoString,
  wifi_status: z.boolean().nullable(),
  count_basic: z.number().nullable(),
  count_standard: z.number().nullable(),
  count_premium: z.number().nullable(),
  /** everything the event carried: open, as the seed's JSON `payload` field */
  payload: z.strictObject({ metrics: z.record(z.string(), z.number()), attributes: z.record(z.string(), z.unknown()) }),
});

/** GET /api/telemetry/latest/: the newest event (null before any) and each metric's latest value. */
export const OzoneLatest = z.strictObject({
  device_id: z.string(),
  event: OzoneEvent.nullable(),
  latest: DeviceLatest.shape.values,
});

/** POST /api/flush/: how many events of the tenant went. */
export const OzoneFlushed = z.strictObject({
  success: z.literal(true),
  message: z.string(),
  ...TenantPurged.shape,
});

/**
 * GET /api/device/commands/ (HTTP-only firmware, device token): the open commands, as the MQTT
 * firmware receives them on devices/{id}/commands (packages/commands `toWire`).
 */
export const DeviceCommandPoll = z.strictObject({
  commands: z.array(
    z.strictObject({
      id: z.string(),
      name: z.string(),
      /** the sender's parameters: free-form JSON */
      params: z.record(z.string(), z.unknown()),
      expectReply: z.boolean(),
      expiresAt: isoString,
    }),
  ),
});

/** POST /api/device/commands/ack/. */
export const DeviceCommandAck = z.strictObject({ ack: z.literal(true) });
