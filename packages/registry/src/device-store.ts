import type pg from 'pg';

/**
 * The writes of `devices` (and its binding history, `device_bindings`) that a caller runs inside
 * its own transaction, next to its audit entry: the api's device routes, the demo seed and firmware reports. With
 * the lifecycle, the presence writer and these, this package is the one writer of `devices` (#17).
 */
type Db = Pick<pg.ClientBase, 'query'>;

/** What people edit on a device (PATCH /api/devices/:id); absent fields unchanged. */
export interface DeviceEdit {
  name?: string;
  notes?: string;
  deviceType?: string;
  expectedIntervalS?: number;
  /** Merged into the device's attributes; a null value removes that key. */
  attributes?: Record<string, unknown>;
}

export async function editDevice(db: Db, deviceId: string, edit: DeviceEdit): Promise<void> {
  await db.query(
    `UPDATE devices SET name = coalesce($2, name), notes = coalesce($3, notes), device_type = coalesce($4, device_type),
       expected_interval_s = coalesce($5, expected_interval_s),
       attributes = CASE WHEN $6::jsonb IS NULL THEN attributes ELSE jsonb_strip_nulls(attributes || $6::jsonb) END,
       updated_at = now()
     WHERE id = $1`,
    [
      deviceId,
      edit.name ?? null,
      edit.notes ?? null,
      edit.deviceType ?? null,
      edit.expectedIntervalS ?? null,
      edit.attributes ? JSON.stringify(edit.attributes) : null,
    ],
  );
}

/** Closes the device's open binding and opens one to `assetId` (none when null): the history of where it was. */
export async function recordBinding(
  db: Db,
  b: { tenantId: string; deviceId: string; assetId: string | null; actorId?: string | null },
): Promise<void> {
  await db.query('UPDATE device_bindings SET unbound_at = now() WHERE device_id = $1 AND unbound_at IS NULL', [
    b.deviceId,
  ]);
  if (b.assetId) {
    await db.query('INSERT INTO device_bindings (tenant_id, device_id, asset_id, bound_by) VALUES ($1, $2, $3, $4)', [
      b.tenantId,
      b.deviceId,
      b.assetId,
      b.actorId ?? null,
    ]);
  }
}

/** Binds an assigned device to an asset (null: unbinds), history kept. The caller checked the asset's tenant. */
export async function bindAsset(
  db: Db,
  b: { tenantId: string; deviceId: string; assetId: string | null; actorId?: string | null },
): Promise<void> {
  await recordBinding(db, b);
  await db.query('UPDATE devices SET asset_id = $2, updated_at = now() WHERE id = $1', [b.deviceId, b.assetId]);
}

/**
 * Deletes the device; its bindings, rule state and commands go with it (ON DELETE CASCADE), its
 * token dies with the row. Stored readings stay history until purged.
 */
export async function deleteDevice(db: Db, deviceId: string): Promise<void> {
  await db.query('DELETE FROM devices WHERE id = $1', [deviceId]);
}

/**
 * An active device with no credentials yet, bound to its asset; an existing id is left as it is
 * (the demo seed's devices: seeding twice changes nothing).
 */
export async function seedDevice(
  db: Db,
  d: {
    id: string;
    tenantId: string;
    assetId: string | null;
    name: string;
    deviceType: string;
    expectedIntervalS: number;
  },
): Promise<void> {
  await db.query(
    `INSERT INTO devices (id, tenant_id, asset_id, name, device_type, state, expected_interval_s)
     VALUES ($1, $2, $3, $4, $5, 'active', $6) ON CONFLICT (id) DO NOTHING`,
    [d.id, d.tenantId, d.assetId, d.name, d.deviceType, d.expectedIntervalS],
  );
  await db.query(
    'INSERT INTO device_bindings (tenant_id, device_id, asset_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
    [d.tenantId, d.id, d.assetId],
  );
}

/** The device runs `version` now (a firmware rollout finished on it: @telemetry/firmware's reports). */
export async function setFirmware(db: Db, deviceId: string, version: string): Promise<void> {
  await db.query('UPDATE devices SET firmware = $2, updated_at = now() WHERE id = $1', [deviceId, version]);
}
