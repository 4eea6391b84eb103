import type pg from 'pg';
import { createBatchLoader } from './batch.js';
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

  /**
   * The MQTT gateway asks at every CONNECT (awaited before the CONNACK): a connect storm's lookups
   * of one event loop turn are one query, not one per device (on the embedded store's single
   * connection, one statement per CONNECT was most of a storm's database time).
   */
  const decoderRowById = createBatchLoader<string, { tenant_id: string; decoder: unknown }>(async (ids) => {
    const { rows } = await pool.query<{ id: string; tenant_id: string; decoder: unknown }>(
      `SELECT d.id, d.tenant_id, dt.decoder FROM devices d
       JOIN device_types dt ON dt.tenant_id = d.tenant_id AND dt.name = d.device_type
       WHERE d.id = ANY($1::text[])`,
      [ids],
    );
    return new Map(rows.map((r) => [r.id, r]));
  });

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
      const row = await decoderRowById(deviceId);
      return row && row.tenant_id === tenantId ? (row.decoder ?? null) : null;
    },
  };
}
