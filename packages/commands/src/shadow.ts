import type pg from 'pg';
import { deltaOf } from './delta.js';

type Db = Pick<pg.ClientBase, 'query'>;
export type Attributes = Record<string, unknown>;

/** A device's shadow as the API shows it: desired (type defaults under its own values), reported, and the difference. */
export interface Shadow {
  deviceId: string;
  tenantId: string | null;
  deviceType: string;
  /** What the device is to apply: its type's defaults overlaid by its own values. */
  desired: Attributes;
  /** The version of `desired`; 0 = nothing was ever desired. */
  version: number;
  /** The device's own desired values and its type's defaults, separately. */
  deviceDesired: Attributes;
  typeDefaults: Attributes;
  desiredAt: string | null;
  reported: Attributes;
  /** The desired version the device last said it applied. */
  reportedVersion: number;
  reportedAt: string | null;
  /** Desired keys whose reported value differs (or is missing). */
  delta: Record<string, { desired: unknown; reported: unknown }>;
  /** The device reported the current version and nothing differs. */
  inSync: boolean;
}

/** What a device receives on devices/{id}/desired and from GET /api/device/desired/. */
export interface DesiredWire {
  version: number;
  desired: Attributes;
}

/** Why a report was not stored. */
export type ReportRefusal = 'stale' | 'unknown_version' | 'no_device';

interface Row {
  id: string;
  tenant_id: string | null;
  device_type: string;
  own: Attributes | null;
  own_version: string | null;
  desired_at: Date | null;
  defaults: Attributes | null;
  type_version: string | null;
  reported: Attributes | null;
  reported_version: string | null;
  reported_at: Date | null;
}

// bigint comes back as a string from pg; versions stay far below 2^53
const SELECT = `SELECT d.id, d.tenant_id, d.device_type, s.desired AS own, s.desired_version AS own_version, s.desired_at,
    t.desired AS defaults, t.version AS type_version, s.reported, s.reported_version, s.reported_at
  FROM devices d
  LEFT JOIN device_shadows s ON s.device_id = d.id
  LEFT JOIN device_type_desired t ON t.tenant_id = d.tenant_id AND t.device_type = d.device_type`;

/** The version a device is given: the larger of its own and its type's (both from one sequence). */
const EFFECTIVE = 'greatest(coalesce(s.desired_version, 0), coalesce(t.version, 0))';

function present(r: Row): Shadow {
  const deviceDesired = r.own ?? {};
  const typeDefaults = r.defaults ?? {};
  const desired = { ...typeDefaults, ...deviceDesired };
  const version = Math.max(Number(r.own_version ?? 0), Number(r.type_version ?? 0));
  const reported = r.reported ?? {};
  const reportedVersion = Number(r.reported_version ?? 0);
  const delta = deltaOf(desired, reported);
  return {
    deviceId: r.id,
    tenantId: r.tenant_id,
    deviceType: r.device_type,
    desired,
    version,
    deviceDesired,
    typeDefaults,
    desiredAt: r.desired_at?.toISOString() ?? null,
    reported,
    reportedVersion,
    reportedAt: r.reported_at?.toISOString() ?? null,
    delta,
    inSync: reportedVersion >= version && Object.keys(delta).length === 0,
  };
}

export const toDesiredWire = (s: Pick<Shadow, 'version' | 'desired'>): DesiredWire => ({
  version: s.version,
  desired: s.desired,
});

/**
 * Desired and reported configuration (0021). Tenant scoping is the caller's (the API loads the
 * device through its scoped query first; the gateway and the device routes know the device from
 * its credentials). Every statement is bounded by a key or a limit.
 */
export interface ShadowStore {
  /** Shadows of these devices (at most 1000); devices the database does not know are left out. `db`: inside a transaction. */
  get(deviceIds: string[], db?: Db): Promise<Shadow[]>;
  /**
   * Merges a JSON merge patch (RFC 7396, top level: null removes a key) into the device's own
   * desired values and gives them a new version. Inside the caller's transaction.
   */
  patchDesired(db: Db, deviceId: string, patch: Attributes, userId: string | null): Promise<Shadow>;
  /** Replaces a type's defaults (a new version for every device of the type). */
  setTypeDefaults(
    db: Db,
    t: { tenantId: string; deviceType: string; desired: Attributes; userId: string | null },
  ): Promise<{ version: number; desired: Attributes; updatedAt: string }>;
  typeDefaults(tenantId: string, deviceType: string): Promise<{ version: number; desired: Attributes } | undefined>;
  /**
   * Stores what the device applied for desired `version` (merged, null removes). Refused when a
   * report of a newer version is already stored (stale) or the version was never given out.
   */
  report(deviceId: string, version: number, reported: Attributes): Promise<Shadow | { refused: ReportRefusal }>;
}

export function createShadowStore(pool: Db): ShadowStore {
  const one = async (db: Db, deviceId: string): Promise<Shadow | undefined> => {
    const { rows } = await db.query<Row>(`${SELECT} WHERE d.id = $1`, [deviceId]);
    return rows[0] ? present(rows[0]) : undefined;
  };

  return {
    async get(deviceIds, db = pool) {
      if (deviceIds.length === 0) return [];
      const { rows } = await db.query<Row>(`${SELECT} WHERE d.id = ANY($1::text[]) LIMIT 1000`, [
        deviceIds.slice(0, 1000),
      ]);
      return rows.map(present);
    },

    async patchDesired(db, deviceId, patch, userId) {
      await db.query(
        `INSERT INTO device_shadows (device_id, desired, desired_version, desired_at, desired_by)
         VALUES ($1, jsonb_strip_nulls($2::jsonb), nextval('desired_version_seq'), now(), $3)
         ON CONFLICT (device_id) DO UPDATE SET
           desired = jsonb_strip_nulls(device_shadows.desired || $2::jsonb),
           desired_version = EXCLUDED.desired_version, desired_at = now(), desired_by = $3`,
        [deviceId, JSON.stringify(patch), userId],
      );
      const shadow = await one(db, deviceId);
      if (!shadow) throw new Error(`device ${deviceId} vanished while its desired configuration was written`);
      return shadow;
    },

    async setTypeDefaults(db, t) {
      const { rows } = await db.query<{ version: string; desired: Attributes; updated_at: Date }>(
        `INSERT INTO device_type_desired (tenant_id, device_type, desired, version, updated_by)
         VALUES ($1, $2, jsonb_strip_nulls($3::jsonb), nextval('desired_version_seq'), $4)
         ON CONFLICT (tenant_id, device_type) DO UPDATE SET desired = EXCLUDED.desired, version = EXCLUDED.version,
           updated_at = now(), updated_by = EXCLUDED.updated_by
         RETURNING version, desired, updated_at`,
        [t.tenantId, t.deviceType, JSON.stringify(t.desired), t.userId],
      );
      const r = rows[0] as { version: string; desired: Attributes; updated_at: Date };
      return { version: Number(r.version), desired: r.desired, updatedAt: r.updated_at.toISOString() };
    },

    async typeDefaults(tenantId, deviceType) {
      const { rows } = await pool.query<{ version: string; desired: Attributes }>(
        'SELECT version, desired FROM device_type_desired WHERE tenant_id = $1 AND device_type = $2',
        [tenantId, deviceType],
      );
      return rows[0] ? { version: Number(rows[0].version), desired: rows[0].desired } : undefined;
    },

    async report(deviceId, version, reported) {
      // One statement: the version must have been given out (<= the current one) and not be
      // older than the last report, checked against the row as it is when written.
      const { rowCount } = await pool.query(
        `WITH cur AS (
           SELECT d.id, ${EFFECTIVE} AS v FROM devices d
           LEFT JOIN device_shadows s ON s.device_id = d.id
           LEFT JOIN device_type_desired t ON t.tenant_id = d.tenant_id AND t.device_type = d.device_type
           WHERE d.id = $1)
         INSERT INTO device_shadows (device_id, reported, reported_version, reported_at)
         SELECT id, jsonb_strip_nulls($2::jsonb), $3, now() FROM cur WHERE $3 <= cur.v
         ON CONFLICT (device_id) DO UPDATE SET
           reported = jsonb_strip_nulls(device_shadows.reported || $2::jsonb),
           reported_version = EXCLUDED.reported_version, reported_at = now()
         WHERE device_shadows.reported_version <= EXCLUDED.reported_version`,
        [deviceId, JSON.stringify(reported), version],
      );
      const shadow = await one(pool, deviceId);
      if (!shadow) return { refused: 'no_device' };
      if ((rowCount ?? 0) > 0) return shadow;
      return { refused: version > shadow.version ? 'unknown_version' : 'stale' };
    },
  };
}
