import type { RawEvent } from '@telemetry/timeseries';
import type { DeviceView } from '../../devices/repository.js';

/**
 * The ozone seed's `mode` / `event_type` (BASIC|STANDARD|PREMIUM|status) of an event: its
 * treatment, the legacy form's mode, or `status` for a heartbeat (JSON `event: status|heartbeat`
 * carries neither, which left `mode` null: issue 19).
 */
export function ozoneMode(attributes: Record<string, unknown> | null | undefined, kind?: string): string | null {
  const a = attributes ?? {};
  if (typeof a.treatment === 'string') return a.treatment;
  if (typeof a.mode === 'string') return a.mode;
  if (kind === 'status' || a.event === 'status' || a.event === 'heartbeat') return 'status';
  return null;
}

/** The ozone seed's TelemetryEvent shape. */
export function ozoneEvent(e: RawEvent) {
  const a = e.attributes as Record<string, unknown>;
  return {
    device_id: e.deviceId,
    event_id: e.eventId,
    event: (a.event as string | undefined) ?? e.kind,
    event_type: ozoneMode(a, e.kind) ?? e.kind,
    treatment: (a.treatment as string | undefined) ?? null,
    counter: e.metrics.counter ?? null,
    occurred_at: e.ts,
    device_timestamp: e.deviceTs ?? e.ts,
    received_at: e.receivedAt,
    wifi_status: flag(a.wifi_status ?? a.wifi_connected),
    count_basic: e.metrics.count_basic ?? null,
    count_standard: e.metrics.count_standard ?? null,
    count_premium: e.metrics.count_premium ?? null,
    payload: { metrics: e.metrics, attributes: e.attributes },
  };
}

/** The seed's MachineDevice: which machine a device is bound to, since when. */
export interface MachineBinding {
  machine: string;
  machine_name: string;
  outlet: string | null;
  device_id: string;
  is_active: boolean;
  assigned_date: string;
  deactivated_date: string | null;
}

/** true/false from what firmware sends (true, 1, "true", "1", "yes", "connected"); null when absent. */
function flag(v: unknown): boolean | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') return ['true', '1', 'yes', 'connected', 'on'].includes(v.toLowerCase());
  return null;
}

/**
 * The ozone seed's Device + DeviceStatus + MachineDevice in one object. DeviceStatus fields come
 * from the latest event's attributes (a JSON heartbeat's wifi_connected, uptime_seconds...) or
 * the latest values (the legacy form's rtc_available/sd_available are stored as 1/0 metrics).
 */
export function ozoneDevice(d: DeviceView, binding: MachineBinding | null = null) {
  const v = (m: string) => d.latest?.[m]?.v ?? null;
  const a = d.last_attributes ?? {};
  const num = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) ? x : null);
  const deviceTs = typeof a.device_timestamp === 'string' ? a.device_timestamp : (d.last_ts?.toISOString() ?? null);
  return {
    device_id: d.id,
    name: d.name,
    mac: d.mac,
    firmware: d.firmware,
    assigned: d.state === 'active' && d.tenant_id !== null,
    state: d.state,
    online: d.online,
    last_seen: d.last_seen?.toISOString() ?? null,
    notes: d.notes,
    // DeviceStatus
    wifi_connected: flag(a.wifi_connected ?? a.wifi_status ?? v('wifi_connected')) ?? (d.last_seen ? d.online : null),
    rtc_available: flag(a.rtc_available ?? v('rtc_available')),
    sd_card_available: flag(a.sd_card_available ?? a.sd_available ?? v('sd_card_available') ?? v('sd_available')),
    uptime_seconds: num(a.uptime_seconds) ?? v('uptime_seconds') ?? v('uptime'),
    device_timestamp: deviceTs,
    current_count_basic: v('count_basic'),
    current_count_standard: v('count_standard'),
    current_count_premium: v('count_premium'),
    counter: v('counter'),
    mode: ozoneMode(a),
    // MachineDevice
    machine_id: binding?.machine ?? d.asset_id,
    machine: binding?.machine ?? null,
    machine_name: binding?.machine_name ?? null,
    outlet_id: binding?.outlet ?? null,
    machine_device: binding,
  };
}
