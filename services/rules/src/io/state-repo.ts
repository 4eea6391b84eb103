import type { RuleState } from '@telemetry/rule-engine';
import type pg from 'pg';
import { iso, type StateRow, toState } from './rows.js';

export interface StateKey {
  ruleId: string;
  deviceId: string;
  tenantId: string;
}

export const stateKey = (ruleId: string, deviceId: string) => `${ruleId}|${deviceId}`;

/**
 * Locks the rule_state rows of these pairs for the transaction (creating missing ones), in a
 * fixed order so concurrent batches and the offline timer cannot deadlock each other.
 * `init` seeds the columns of a row created now (the offline timer's grace start).
 */
export async function lockStates(
  client: pg.ClientBase,
  keys: StateKey[],
  init: { lastTs?: number | null } = {},
): Promise<Map<string, RuleState>> {
  const states = new Map<string, RuleState>();
  if (keys.length === 0) return states;
  const rules = keys.map((k) => k.ruleId);
  const devices = keys.map((k) => k.deviceId);
  // One round trip (#23): the upsert locks every row, existing or new, in key order, and returns it;
  // the no-op SET touches no indexed column (a HOT update).
  const { rows } = await client.query<StateRow>(
    `WITH locked AS (
       INSERT INTO rule_state (rule_id, device_id, tenant_id, last_ts)
       SELECT r, d, t, $4::timestamptz FROM unnest($1::uuid[], $2::text[], $3::uuid[]) AS k(r, d, t)
       ORDER BY r, d
       ON CONFLICT (rule_id, device_id) DO UPDATE SET tenant_id = rule_state.tenant_id
       RETURNING rule_id, device_id, status, breach_since, clear_since, last_value, last_ts, alert_id, baseline
     )
     SELECT s.*, a.state AS alert_state FROM locked s LEFT JOIN alerts a ON a.id = s.alert_id`,
    [rules, devices, keys.map((k) => k.tenantId), iso(init.lastTs ?? null)],
  );
  for (const row of rows) states.set(stateKey(row.rule_id, row.device_id), toState(row));
  return states;
}

/** Writes the states back (rows locked by lockStates in the same transaction). */
export async function saveStates(client: pg.ClientBase, states: Map<string, RuleState>): Promise<void> {
  if (states.size === 0) return;
  const cols: unknown[][] = [[], [], [], [], [], [], [], [], []];
  for (const [key, s] of states) {
    const [ruleId, deviceId] = key.split('|');
    const values = [
      ruleId,
      deviceId,
      s.status,
      iso(s.breachSince),
      iso(s.clearSince),
      s.lastValue,
      iso(s.lastTs),
      s.alertId,
      s.baseline,
    ];
    for (const [i, v] of values.entries()) cols[i]?.push(v);
  }
  await client.query(
    `UPDATE rule_state s SET status = v.status, breach_since = v.breach_since, clear_since = v.clear_since,
       last_value = v.last_value, last_ts = v.last_ts, alert_id = v.alert_id, baseline = v.baseline, updated_at = now()
     FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[], $6::float8[],
                 $7::timestamptz[], $8::uuid[], $9::float8[])
       AS v(rule_id, device_id, status, breach_since, clear_since, last_value, last_ts, alert_id, baseline)
     WHERE s.rule_id = v.rule_id AND s.device_id = v.device_id`,
    cols,
  );
}
