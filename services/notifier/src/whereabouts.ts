import type pg from 'pg';
import type { Whereabouts } from './compose.js';

/** Walks the asset tree from the alert's asset to the root, for the mail's location lines. */
export async function loadWhereabouts(
  pool: pg.Pool,
  ref: { tenantId: string; deviceId: string | null; assetId: string | null },
): Promise<Whereabouts> {
  const where: Whereabouts = { deviceId: ref.deviceId, deviceName: null, asset: null, ancestors: [], site: null };
  let assetId = ref.assetId;
  if (ref.deviceId) {
    const { rows } = await pool.query<{ name: string; asset_id: string | null }>(
      'SELECT name, asset_id FROM devices WHERE id = $1 AND tenant_id = $2',
      [ref.deviceId, ref.tenantId],
    );
    where.deviceName = rows[0]?.name || null;
    assetId ??= rows[0]?.asset_id ?? null;
  }
  if (!assetId) return where;
  const { rows } = await pool.query<{
    name: string;
    type: string;
    attributes: Record<string, unknown>;
    site: string | null;
  }>(
    `WITH RECURSIVE chain AS (
       SELECT id, parent_id, site_id, type, name, attributes, 0 AS depth FROM assets WHERE id = $1 AND tenant_id = $2
       UNION ALL
       SELECT p.id, p.parent_id, p.site_id, p.type, p.name, p.attributes, c.depth + 1
       FROM assets p JOIN chain c ON p.id = c.parent_id WHERE c.depth < 32
     )
     SELECT c.name, c.type, c.attributes, s.name AS site FROM chain c LEFT JOIN sites s ON s.id = c.site_id ORDER BY c.depth`,
    [assetId, ref.tenantId],
  );
  const [asset, ...ancestors] = rows;
  if (!asset) return where;
  where.asset = { name: asset.name, type: asset.type, attributes: asset.attributes ?? {} };
  where.ancestors = ancestors.map((a) => ({ name: a.name, type: a.type }));
  where.site = rows.find((r) => r.site)?.site ?? null;
  return where;
}
