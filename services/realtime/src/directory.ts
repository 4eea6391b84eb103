import { isRole, type Role } from '@telemetry/auth';
import { createTtlCache } from '@telemetry/runtime';
import type pg from 'pg';

/**
 * Read-only lookups of who and what, from the core tables (0001_core.sql), each behind a short
 * TTL cache: a change in the database (a device moved, an assignment removed) is seen after at
 * most `ttlMs`. Used both to route events to rooms and to check subscriptions.
 */
export interface UserRecord {
  id: string;
  tenantId: string | null;
  role: Role;
}

export interface DeviceRecord {
  id: string;
  tenantId: string | null;
  assetId: string | null;
}

export interface AssetRecord {
  id: string;
  tenantId: string;
  /** The asset itself first, then its parent, up to the root. */
  chain: string[];
  /** Every site on the chain (normally one: the nearest asset carrying a site_id). */
  sites: string[];
}

export interface SiteRecord {
  id: string;
  tenantId: string;
}

export interface Assignments {
  sites: Set<string>;
  assets: Set<string>;
}

export interface TenantSettings {
  /** Operators see every alert and task of the tenant, not only their assignments' (#19). */
  operatorsSeeAll: boolean;
}

export interface Directory {
  user(id: string): Promise<UserRecord | null>;
  device(id: string): Promise<DeviceRecord | null>;
  asset(id: string): Promise<AssetRecord | null>;
  site(id: string): Promise<SiteRecord | null>;
  tenantExists(id: string): Promise<boolean>;
  tenantSettings(id: string): Promise<TenantSettings>;
  assignments(userId: string): Promise<Assignments>;
  /** Drops what is cached about a user, so the next check reads the database (on auth:refresh). */
  forget(userId: string): void;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** uuid columns reject other text with an error; an id that is no uuid simply does not exist. */
export const isUuid = (s: string): boolean => UUID.test(s);

/** Deeper trees than this are refused (and a parent_id cycle cannot loop forever). */
const MAX_DEPTH = 64;

export function createDirectory(pool: pg.Pool, opts: { ttlMs: number; max?: number }): Directory {
  const cache = <V>() => createTtlCache<string, V>({ ttlMs: opts.ttlMs, max: opts.max });
  const users = cache<UserRecord | null>();
  const devices = cache<DeviceRecord | null>();
  const assets = cache<AssetRecord | null>();
  const sites = cache<SiteRecord | null>();
  const tenants = cache<boolean>();
  const settings = cache<TenantSettings>();
  const assignments = cache<Assignments>();

  return {
    user: (id) =>
      isUuid(id)
        ? users.get(id, async () => {
            const { rows } = await pool.query<{ tenant_id: string | null; role: string }>(
              'SELECT tenant_id, role FROM users WHERE id = $1',
              [id],
            );
            const row = rows[0];
            return row && isRole(row.role) ? { id, tenantId: row.tenant_id, role: row.role } : null;
          })
        : Promise.resolve(null),

    device: (id) =>
      devices.get(id, async () => {
        const { rows } = await pool.query<{ tenant_id: string | null; asset_id: string | null }>(
          'SELECT tenant_id, asset_id FROM devices WHERE id = $1',
          [id],
        );
        const row = rows[0];
        return row ? { id, tenantId: row.tenant_id, assetId: row.asset_id } : null;
      }),

    asset: (id) =>
      isUuid(id)
        ? assets.get(id, async () => {
            const { rows } = await pool.query<{ id: string; site_id: string | null; tenant_id: string }>(
              `WITH RECURSIVE chain AS (
                 SELECT id, parent_id, site_id, tenant_id, 0 AS depth FROM assets WHERE id = $1
                 UNION ALL
                 SELECT a.id, a.parent_id, a.site_id, a.tenant_id, c.depth + 1
                   FROM assets a JOIN chain c ON a.id = c.parent_id AND a.tenant_id = c.tenant_id
                  WHERE c.depth < $2
               )
               SELECT id, site_id, tenant_id FROM chain ORDER BY depth`,
              [id, MAX_DEPTH],
            );
            const first = rows[0];
            if (!first) return null;
            const siteIds = rows.map((r) => r.site_id).filter((s): s is string => s !== null);
            return { id, tenantId: first.tenant_id, chain: rows.map((r) => r.id), sites: [...new Set(siteIds)] };
          })
        : Promise.resolve(null),

    site: (id) =>
      isUuid(id)
        ? sites.get(id, async () => {
            const { rows } = await pool.query<{ tenant_id: string }>('SELECT tenant_id FROM sites WHERE id = $1', [id]);
            const row = rows[0];
            return row ? { id, tenantId: row.tenant_id } : null;
          })
        : Promise.resolve(null),

    tenantExists: (id) =>
      isUuid(id)
        ? tenants.get(id, async () => {
            const { rowCount } = await pool.query('SELECT 1 FROM tenants WHERE id = $1', [id]);
            return (rowCount ?? 0) > 0;
          })
        : Promise.resolve(false),

    tenantSettings: (id) =>
      settings.get(id, async () => {
        const { rows } = await pool.query<{ see_all: boolean | null }>(
          `SELECT (settings -> 'operatorsSeeAll') = 'true'::jsonb AS see_all FROM tenants WHERE id = $1`,
          [id],
        );
        return { operatorsSeeAll: rows[0]?.see_all === true };
      }),

    assignments: (userId) =>
      assignments.get(userId, async () => {
        const { rows } = await pool.query<{ site_id: string | null; asset_id: string | null }>(
          'SELECT site_id, asset_id FROM user_assignments WHERE user_id = $1',
          [userId],
        );
        const result: Assignments = { sites: new Set(), assets: new Set() };
        for (const r of rows) {
          if (r.site_id) result.sites.add(r.site_id);
          if (r.asset_id) result.assets.add(r.asset_id);
        }
        return result;
      }),

    forget(userId) {
      users.delete(userId);
      assignments.delete(userId);
    },
  };
}
