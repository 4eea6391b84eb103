import { evaluateTick } from '@telemetry/rule-engine';
import { type HandlerDeps, report } from './handlers.js';
import { commitSteps } from './io/commit.js';
import { type DeviceContext, deviceLabel } from './io/context.js';
import { DEVICE_CHAIN_CTE, DEVICE_CHAIN_JSON, RULE_TARGETS_DEVICE } from './io/device-targets.js';
import { RULE_COLUMNS, type RuleRow, toRule } from './io/rows.js';

/**
 * Every (offline rule, active device it targets) with what is known of when the device was last
 * heard: the rules' own last_ts (data and presence this worker saw), the pipeline's
 * device_state.last_seen and the edge's devices.last_seen_at, so a rules worker that lags
 * behind its topic does not take its own backlog for silence.
 */
const CANDIDATES_SQL = `
  WITH RECURSIVE offline_rules AS (
    SELECT ${RULE_COLUMNS} FROM rules WHERE kind = 'offline' AND enabled
  ),
  dev AS (
    SELECT d.id, d.tenant_id, d.name, d.asset_id, d.expected_interval_s, d.last_seen_at FROM devices d
    WHERE d.state = 'active' AND d.tenant_id IN (SELECT tenant_id FROM offline_rules)
  ),
  ${DEVICE_CHAIN_CTE}
  SELECT row_to_json(r) AS rule, dev.id AS device_id, dev.tenant_id, dev.name, dev.asset_id, dev.expected_interval_s,
         s.status, s.last_ts,
         greatest(ds.last_seen, dev.last_seen_at) AS seen_elsewhere,
         ${DEVICE_CHAIN_JSON} AS chain
  FROM offline_rules r
  JOIN dev ON dev.tenant_id = r.tenant_id
  LEFT JOIN rule_state s ON s.rule_id = r.id AND s.device_id = dev.id
  LEFT JOIN device_state ds ON ds.tenant_id = dev.tenant_id AND ds.device_id = dev.id
  WHERE ${RULE_TARGETS_DEVICE}`;

interface CandidateRow {
  rule: RuleRow;
  device_id: string;
  tenant_id: string;
  name: string;
  asset_id: string | null;
  expected_interval_s: number;
  status: string | null;
  last_ts: Date | null;
  seen_elsewhere: Date | null;
  chain: DeviceContext['chain'];
}

/**
 * One pass of the offline timer. A pair whose verdict changes (silent too long, or heard again)
 * is committed in a transaction of its own, re-evaluated under the row lock; a pair never seen
 * before gets its state row, which starts its grace period.
 */
export async function checkOffline(deps: HandlerDeps): Promise<{ checked: number; changed: number }> {
  const { rows } = await deps.store.pool.query<CandidateRow>(CANDIDATES_SQL);
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
    const lastSeen = row.seen_elsewhere?.getTime() ?? null;
    const input = () => ({ now: deps.now(), expectedIntervalS: ctx.expectedIntervalS, lastSeen });
    if (row.status !== null) {
      // cheap pre-check without a lock: most pairs do not change
      const state = {
        status: row.status as 'normal',
        breachSince: null,
        clearSince: null,
        lastValue: null,
        lastTs: row.last_ts?.getTime() ?? null,
        alertId: null,
        baseline: null,
      };
      const dry = evaluateTick(rule, state, input());
      if (dry.effects.length === 0 && dry.state.status === state.status) continue;
    }
    const result = await commitSteps(deps, [{ rule, ctx, evaluate: (state) => evaluateTick(rule, state, input()) }], {
      lastTs: lastSeen ?? deps.now(),
    });
    report(deps, result);
    if (result.opened + result.resolved > 0) {
      changed++;
      deps.logger.info(
        { ruleId: rule.id, deviceId: ctx.deviceId, device: deviceLabel(ctx), ...result },
        'offline rule changed',
      );
    }
  }
  return { checked: rows.length, changed };
}
