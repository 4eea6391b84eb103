import type pg from 'pg';
import type { DeviceView } from '../../devices/repository.js';
import { type MachineBinding, ozoneDevice } from './present.js';

/**
 * The devices' current machine bindings (the ozone seed's MachineDevice rows: device_bindings to an
 * asset of type machine), in one query for a page of devices; the rows are already tenant-scoped.
 */
export async function machineBindings(
  db: Pick<pg.ClientBase, 'query'>,
  devices: DeviceView[],
): Promise<Map<string, MachineBinding>> {
  if (devices.length === 0) return new Map();
  const { rows } = await db.query<{
    device_id: string;
    asset_id: string;
    name: string;
    parent_id: string | null;
    bound_at: Date;
  }>(
    `SELECT b.device_id, b.asset_id, a.name, a.parent_id, b.bound_at
     FROM device_bindings b JOIN assets a ON a.id = b.asset_id AND a.tenant_id = b.tenant_id
     WHERE b.device_id = ANY($1::text[]) AND b.unbound_at IS NULL AND a.type = 'machine'
     LIMIT 1000`,
    [devices.map((d) => d.id)],
  );
  return new Map(
    rows.map((r) => [
      r.device_id,
      {
        machine: r.asset_id,
        machine_name: r.name,
        outlet: r.parent_id,
        device_id: r.device_id,
        is_active: true,
        assigned_date: r.bound_at.toISOString(),
        deactivated_date: null,
      },
    ]),
  );
}

/** Devices in the ozone seed's shape, with their machine binding. */
export async function ozoneDevices(db: Pick<pg.ClientBase, 'query'>, devices: DeviceView[]) {
  const bindings = await machineBindings(db, devices);
  return devices.map((d) => ozoneDevice(d, bindings.get(d.id) ?? null));
}
