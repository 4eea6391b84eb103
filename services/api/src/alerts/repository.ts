import type { Principal } from '@telemetry/auth';
import { type AlertRow as AlertMessageRow, alertColumns } from '@telemetry/store';
import type pg from 'pg';
import type { Page, PageRequest } from '../http/pagination.js';
import {
  listWorkItems,
  loadWorkItem,
  type PlacedRow,
  type PlaceFilter,
  placedColumns,
  type WorkItems,
} from '../work-items.js';

type Db = Pick<pg.ClientBase, 'query'>;

/** The row the routes read: what its alerts.v1 message needs, the acknowledge/resolve trail and the names people read. */
export interface AlertRow extends AlertMessageRow, PlacedRow {
  acknowledged_at: Date | null;
  acknowledged_by: string | null;
  resolved_at: Date | null;
  resolved_by: string | null;
  resolution: string | null;
  assignee_id: string | null;
  device_type: string | null;
  site_name: string | null;
}

const ALERTS: WorkItems<AlertFilter> = {
  entity: 'alert',
  table: 'alerts',
  alias: 'al',
  columns: `${alertColumns('al')},
  al.acknowledged_at, al.acknowledged_by, al.resolved_at, al.resolved_by, al.resolution, al.assignee_id,
  ${placedColumns}, dv.device_type, st.name AS site_name`,
  time: 'al.opened_at',
  filter: (f, where, params) => {
    if (f.states) where.push(`al.state = ANY($${params.push(f.states)}::text[])`);
    if (f.severity) where.push(`al.severity = ANY($${params.push(f.severity)}::text[])`);
    if (f.kind) where.push(`al.kind = ANY($${params.push(f.kind)}::text[])`);
    if (f.ruleId) where.push(`al.rule_id = $${params.push(f.ruleId)}::uuid`);
  },
};

export function loadAlert(db: Db, p: Principal, alertId: string, lock = false): Promise<AlertRow> {
  return loadWorkItem(db, ALERTS, p, alertId, lock);
}

export interface AlertFilter extends PlaceFilter {
  states?: string[];
  severity?: string[];
  kind?: string[];
  ruleId?: string;
}

/** A page of the alerts the caller sees that match `f`, newest first. */
export const listAlerts = <T>(
  db: Db,
  p: Principal,
  f: AlertFilter,
  page: PageRequest,
  map: (r: AlertRow) => T,
): Promise<Page<T>> => listWorkItems(db, ALERTS, p, f, page, map);

export interface AlertEventRow {
  change: string;
  actor_id: string | null;
  actor_name: string | null;
  note: string | null;
  at: Date;
}

/** An alert's history, oldest first (bounded: the newest 500 are plenty for a page). */
export async function alertEvents(db: Db, alertId: string): Promise<AlertEventRow[]> {
  const { rows } = await db.query<AlertEventRow>(
    `SELECT e.change, e.actor_id, coalesce(nullif(trim(concat_ws(' ', u.first_name, u.last_name)), ''), u.username) AS actor_name, e.note, e.at
     FROM (SELECT * FROM alert_events WHERE alert_id = $1 ORDER BY at DESC, id DESC LIMIT 500) e
     LEFT JOIN users u ON u.id = e.actor_id
     ORDER BY e.at, e.id`,
    [alertId],
  );
  return rows;
}

/** Display names of users (acknowledged by, resolved by, assignee), by id. */
export async function userNames(db: Db, ids: (string | null)[]): Promise<Map<string, string>> {
  const wanted = [...new Set(ids.filter((x): x is string => x !== null))];
  if (wanted.length === 0) return new Map();
  const { rows } = await db.query<{ id: string; name: string }>(
    `SELECT id, coalesce(nullif(trim(concat_ws(' ', first_name, last_name)), ''), username) AS name
     FROM users WHERE id = ANY($1::uuid[]) LIMIT 100`,
    [wanted],
  );
  return new Map(rows.map((r) => [r.id, r.name]));
}

export async function setAlertState(
  db: Db,
  alertId: string,
  to: 'acknowledged' | 'resolved',
  at: Date,
  by: string | null,
  resolution = 'manual',
): Promise<void> {
  await db.query(
    to === 'acknowledged'
      ? `UPDATE alerts SET state = 'acknowledged', acknowledged_at = $2, acknowledged_by = $3,
           assignee_id = coalesce(assignee_id, $3) WHERE id = $1`
      : `UPDATE alerts SET state = 'resolved', resolved_at = $2, resolved_by = $3, resolution = $4,
           acknowledged_at = coalesce(acknowledged_at, $2), acknowledged_by = coalesce(acknowledged_by, $3)
         WHERE id = $1`,
    to === 'acknowledged' ? [alertId, at, by] : [alertId, at, by, resolution],
  );
}

export async function setAssignee(db: Db, alertId: string, userId: string | null): Promise<void> {
  await db.query('UPDATE alerts SET assignee_id = $2 WHERE id = $1', [alertId, userId]);
}

export async function addAlertEvent(
  db: Db,
  e: { alertId: string; change: string; actorId: string | null; note: string | null; at: Date },
): Promise<void> {
  await db.query('INSERT INTO alert_events (alert_id, change, actor_id, note, at) VALUES ($1, $2, $3, $4, $5)', [
    e.alertId,
    e.change,
    e.actorId,
    e.note,
    e.at,
  ]);
}

/** The unresolved alerts of a rule, locked (a rule being disabled or deleted resolves them). Bounded. */
export async function lockOpenAlertsOfRule(db: Db, ruleId: string): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `SELECT id FROM alerts WHERE rule_id = $1 AND state <> 'resolved' ORDER BY opened_at LIMIT 10000 FOR UPDATE`,
    [ruleId],
  );
  return rows.map((r) => r.id);
}

/** Is this user one of the tenant's people (an assignee must be)? */
export async function isTenantUser(db: Db, tenantId: string, userId: string): Promise<boolean> {
  const { rowCount } = await db.query('SELECT 1 FROM users WHERE id = $1 AND tenant_id = $2', [userId, tenantId]);
  return (rowCount ?? 0) > 0;
}
