import type { Rule } from '@telemetry/rule-engine';
import { createTtlCache } from '@telemetry/runtime';
import type pg from 'pg';
import { RULE_COLUMNS, type RuleRow, toRule } from './rows.js';

export interface AssetLink {
  id: string;
  type: string;
  name: string;
  /** The asset's attributes (only of the bound asset, chain[0]): a dispenser's own low_level_threshold. */
  attributes?: Record<string, unknown>;
}

/** What the rules need to know of a device: its tenant, cadence and where it sits in the asset tree. */
export interface DeviceContext {
  deviceId: string;
  tenantId: string;
  name: string;
  expectedIntervalS: number;
  assetId: string | null;
  /** The bound asset first, then its ancestors up to the root. */
  chain: AssetLink[];
}

/** A rule applies to a device bound to it, to one whose asset has its type, or to one in its subtree. */
export function ruleTargets(rule: Rule, ctx: DeviceContext): boolean {
  if (rule.tenantId !== ctx.tenantId) return false;
  if (rule.deviceId !== null) return rule.deviceId === ctx.deviceId;
  if (rule.assetType !== null) return ctx.chain[0]?.type === rule.assetType;
  if (rule.assetId !== null) return ctx.chain.some((a) => a.id === rule.assetId);
  return false;
}

export const ASSET_CHAIN_SQL = `
  WITH RECURSIVE chain AS (
    SELECT id, parent_id, type, name, attributes, 0 AS depth FROM assets WHERE id = $1
    UNION ALL
    SELECT p.id, p.parent_id, p.type, p.name, NULL::jsonb, c.depth + 1 FROM assets p JOIN chain c ON p.id = c.parent_id
    WHERE c.depth < 32
  )
  SELECT id, type, name, attributes FROM chain ORDER BY depth`;

/** Cached lookups of rules per tenant and context per device (cfg.rules.cacheTtlMs). */
export function createLookups(pool: pg.Pool, ttlMs: number, now: () => number) {
  const rules = createTtlCache<string, Rule[]>({ ttlMs, now, max: 50_000 });
  const devices = createTtlCache<string, Omit<DeviceContext, 'chain'> | null>({ ttlMs, now, max: 50_000 });
  const chains = createTtlCache<string, AssetLink[]>({ ttlMs, now, max: 50_000 });

  const chainOf = (assetId: string) =>
    chains.get(assetId, async () => (await pool.query<AssetLink>(ASSET_CHAIN_SQL, [assetId])).rows);

  return {
    /** Enabled rules of a tenant. */
    rulesFor: (tenantId: string) =>
      rules.get(tenantId, async () => {
        const { rows } = await pool.query<RuleRow>(
          `SELECT ${RULE_COLUMNS} FROM rules WHERE tenant_id = $1 AND enabled ORDER BY id`,
          [tenantId],
        );
        return rows.map(toRule);
      }),

    /**
     * A device's context; `assetId` from the message (the binding when the event was ingested)
     * wins over the current binding. Null for a device the database does not know.
     */
    async device(deviceId: string, assetId?: string | null): Promise<DeviceContext | null> {
      const base = await devices.get(deviceId, async () => {
        const { rows } = await pool.query<{
          id: string;
          tenant_id: string | null;
          name: string;
          asset_id: string | null;
          expected_interval_s: number;
        }>('SELECT id, tenant_id, name, asset_id, expected_interval_s FROM devices WHERE id = $1', [deviceId]);
        const d = rows[0];
        if (!d || d.tenant_id === null) return null;
        return {
          deviceId: d.id,
          tenantId: d.tenant_id,
          name: d.name,
          expectedIntervalS: d.expected_interval_s,
          assetId: d.asset_id,
        };
      });
      if (!base) return null;
      const bound = assetId ?? base.assetId;
      return { ...base, assetId: bound, chain: bound ? await chainOf(bound) : [] };
    },

    clear() {
      rules.clear();
      devices.clear();
      chains.clear();
    },
  };
}

export type Lookups = ReturnType<typeof createLookups>;

/** How a device is named in alert texts and task titles. */
export function deviceLabel(ctx: DeviceContext): string {
  const asset = ctx.chain[0];
  const device = ctx.name || ctx.deviceId;
  return asset ? `${asset.name} (${device})` : device;
}
