/**
 * SQL shared by the timer-driven rule kinds (offline, invalid data), which pick their (rule, device)
 * pairs in one statement. Both expect a CTE `dev` of devices (id, asset_id) and a rule aliased `r`.
 */

/** `chain`: each device's asset and its ancestors (depth 0 = the device's own asset). */
export const DEVICE_CHAIN_CTE = `chain AS (
    SELECT dev.id AS device_id, a.id AS asset_id, a.parent_id, a.type, a.name, 0 AS depth
    FROM dev JOIN assets a ON a.id = dev.asset_id
    UNION ALL
    SELECT c.device_id, p.id, p.parent_id, p.type, p.name, c.depth + 1 FROM chain c JOIN assets p ON p.id = c.parent_id
    WHERE c.depth < 32
  )`;

/** The chain as JSON, root last, for DeviceContext['chain']. */
export const DEVICE_CHAIN_JSON = `coalesce((SELECT json_agg(json_build_object('id', c.asset_id, 'type', c.type, 'name', c.name) ORDER BY c.depth)
                   FROM chain c WHERE c.device_id = dev.id), '[]')`;

/** Rule `r` targets device `dev`: by id, by its asset's type, or by an asset above it. */
export const RULE_TARGETS_DEVICE = `(r.device_id = dev.id
     OR (r.asset_type IS NOT NULL AND EXISTS (SELECT 1 FROM chain c WHERE c.device_id = dev.id AND c.depth = 0 AND c.type = r.asset_type))
     OR (r.asset_id IS NOT NULL AND EXISTS (SELECT 1 FROM chain c WHERE c.device_id = dev.id AND c.asset_id = r.asset_id)))`;
