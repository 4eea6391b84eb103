/** What the worker needs to know about a device before storing its events. */
export interface DeviceContext {
  tenantId: string;
  deviceId: string;
  /** The device is registered (devices table). Unregistered ids are stored (the edges vouch for them). */
  known: boolean;
  /** The tenant the device is registered to, when known: a mismatch means the message lies about its tenant. */
  deviceTenantId: string | null;
  /** From the active binding (device_bindings), else devices.asset_id. */
  assetId: string | null;
  /** device_types.deadband of the device's type: metric -> band; "*" is the default band. */
  deadband: Record<string, number>;
  /** Device time of the newest stored event, null before the first one. */
  lastTs: Date | null;
  /** Last raw-kept value per metric (the deadband reference). */
  deadbandRef: Record<string, number>;
}

/** A device's context as a row: registry, type, binding and state (the claim statement reads it). */
export interface ContextRow {
  tenant_id: string;
  device_id: string;
  known: boolean;
  device_tenant: string | null;
  asset_id: string | null;
  deadband: Record<string, unknown> | null;
  last_ts: Date | null;
  deadband_ref: Record<string, unknown> | null;
}

export function toContext(r: ContextRow): DeviceContext {
  return {
    tenantId: r.tenant_id,
    deviceId: r.device_id,
    known: r.known,
    deviceTenantId: r.device_tenant,
    assetId: r.asset_id,
    deadband: numbers(r.deadband),
    lastTs: r.last_ts,
    deadbandRef: numbers(r.deadband_ref),
  };
}

export function contextKey(tenantId: string, deviceId: string): string {
  return `${tenantId}\u0000${deviceId}`;
}

function numbers(obj: Record<string, unknown> | null): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(obj ?? {})) {
    const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : Number.NaN;
    if (Number.isFinite(n)) out[k] = n;
  }
  return out;
}
