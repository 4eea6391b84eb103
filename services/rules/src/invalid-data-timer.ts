import { evaluateInvalidData } from '@telemetry/rule-engine';
import { type HandlerDeps, report } from './handlers.js';
import { commitSteps } from './io/commit.js';
import { type DeviceContext, deviceLabel } from './io/context.js';
import { DEVICE_CHAIN_CTE, DEVICE_CHAIN_JSON, RULE_TARGETS_DEVICE } from './io/device-targets.js';
import { RULE_COLUMNS, type RuleRow, toRule } from './io/rows.js';

/**
 * Every (invalid_data rule, active device it targets) that has rejections inside the rule's window
 * or an open episode, with the count by reason. Pairs with neither cannot change: they are not read.
 */
const CANDIDATES_SQL = `
  WITH RECURSIVE idr AS (
    SELECT ${RULE_COLUMNS} FROM rules WHERE kind = 'invalid_data' AND enabled
  ),
  per_reason AS (
    SELECT r.id AS rule_id, x.device_id, x.reason, count(*)::int AS n, max(x.received_at) AS last_at
    FROM idr r JOIN device_rejections x ON x.tenant_id = r.tenant_id AND x.device_id IS NOT NULL
      AND x.received_at >= $1::timestamptz - make_interval(secs => greatest(60, r.min_duration_s))
    GROUP BY r.id, x.device_id, x.reason
  ),
  rej AS (
    SELECT rule_id, device_id, sum(n)::int AS n, max(last_at) AS last_at, jsonb_object_agg(reason, n) AS reasons
    FROM per_reason GROUP BY rule_id, device_id
  ),
  pairs AS (
    SELECT rule_id, device_id FROM rej
    UNION
    SELECT s.rule_id, s.device_id FROM rule_state s JOIN idr r ON r.id = s.rule_id WHERE s.status = 'active'
  ),
  dev AS (
    SELECT d.id, d.tenant_id, d.name, d.asset_id, d.expected_interval_s FROM devices d
    WHERE d.state = 'active' AND d.id IN (SELECT device_id FROM pairs)
  ),
  ${DEVICE_CHAIN_CTE}
  SELECT row_to_json(r) AS rule, dev.id AS device_id, dev.tenant_id, dev.name, dev.asset_id, dev.expected_interval_s,
         coalesce(rej.n, 0) AS n, rej.last_at, coalesce(rej.reasons, '{}') AS reasons,
         ${DEVICE_CHAIN_JSON} AS chain
  FROM pairs p
  JOIN idr r ON r.id = p.rule_id
  JOIN dev ON dev.id = p.device_id AND dev.tenant_id = r.tenant_id
  LEFT JOIN rej ON rej.rule_id = p.rule_id AND rej.device_id = p.device_id
  WHERE ${RULE_TARGETS_DEVICE}`;

interface CandidateRow {
  rule: RuleRow;
  device_id: string;
  tenant_id: string;
  name: string;
  asset_id: string | null;
  expected_interval_s: number;
  n: number;
  last_at: Date | null;
  reasons: Record<string, number>;
  chain: DeviceContext['chain'];
}

/**
 * One pass of the "device sends invalid data" timer (every cfg.rules.offlineCheckIntervalMs, with
 * the offline one): each candidate pair is evaluated under its row lock in a transaction of its own.
 */
export async function checkInvalidData(deps: HandlerDeps): Promise<{ checked: number; changed: number }> {
  const { rows } = await deps.store.pool.query<CandidateRow>(CANDIDATES_SQL, [new Date(deps.now())]);
  let changed = 0;
  for (const row of rows) {
    const rule = toRule(row.rule);
    const ctx: DeviceContext = {
      deviceId: row.device_id,
      tenantId: row.tenant_id,
      name: row.name,
      expectedIntervalS: row.expected_interval_s,
      assetId: row.asset_id,
      chain: row.chain,
    };
    const input = { count: row.n, lastAt: row.last_at?.getTime() ?? null, reasons: row.reasons };
    const result = await commitSteps(deps, [
      { rule, ctx, evaluate: (state) => evaluateInvalidData(rule, state, { ...input, now: deps.now() }) },
    ]);
    report(deps, result);
    if (result.opened + result.resolved > 0) {
      changed++;
      deps.logger.info(
        { ruleId: rule.id, deviceId: ctx.deviceId, device: deviceLabel(ctx), ...result },
        'invalid-data rule changed',
      );
    }
  }
  return { checked: rows.length, changed };
}
