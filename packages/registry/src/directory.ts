import type pg from 'pg';
import { one } from './db.js';
import { DEVICE_COLUMNS, type DeviceRow, toRecord } from './rows.js';
import { normalizeMac } from './secrets.js';
import type { DeviceRecord, Scope } from './types.js';

/** Lookups of devices by id or MAC (never the secrets), tenant-scoped where a `scope.tenantId` is given. */
export interface DeviceDirectory {
  get(deviceId: string, scope?: Scope): Promise<DeviceRecord | undefined>;
  findByMac(mac: string, scope?: Scope): Promise<DeviceRecord | undefined>;
  /** Devices waiting for an admin (no tenant yet), newest first. */
  listPending(limit?: number): Promise<DeviceRecord[]>;
  /** The payload decoder of the device's type (device_types.decoder, #14), null for the built-in default. */
  decoderOf(tenantId: string, deviceId: string): Promise<unknown>;
}

/** A platform admin's scope (no tenant) sees every device. */
export const scopedTenant = (scope: Scope) => (scope.tenantId ? scope.tenantId : null);

export async function getDevice(db: pg.Pool | pg.PoolClient, deviceId: string, scope: Scope = {}) {
  const row = await one(
    db,
    `SELECT ${DEVICE_COLUMNS} FROM devices WHERE id = $1 AND ($2::uuid IS NULL OR tenant_id = $2::uuid)`,
    [deviceId, scopedTenant(scope)],
  );
  return row && toRecord(row);
}

export function createDeviceDirectory(deps: { pool: pg.Pool }): DeviceDirectory {
  const { pool } = deps;
  return {
    get: (deviceId, scope) => getDevice(pool, deviceId, scope),

    async findByMac(mac, scope = {}) {
      const normalized = normalizeMac(mac);
      if (!normalized) return undefined;
      const row = await one(
        pool,
        `SELECT ${DEVICE_COLUMNS} FROM devices WHERE mac = $1 AND ($2::uuid IS NULL OR tenant_id = $2::uuid)`,
        [normalized, scopedTenant(scope)],
      );
      return row && toRecord(row);
    },

    async listPending(limit = 100) {
      const { rows } = await pool.query<DeviceRow>(
        `SELECT ${DEVICE_COLUMNS} FROM devices WHERE tenant_id IS NULL AND state = 'pending' ORDER BY created_at DESC LIMIT $1`,
        [limit],
      );
      return rows.map(toRecord);
    },

    async decoderOf(tenantId, deviceId) {
      const { rows } = await pool.query<{ decoder: unknown }>(
        `SELECT dt.decoder FROM devices d
         JOIN device_types dt ON dt.tenant_id = d.tenant_id AND dt.name = d.device_type
         WHERE d.id = $1 AND d.tenant_id = $2`,
        [deviceId, tenantId],
      );
      return rows[0]?.decoder ?? null;
    },
  };
}
