import { AlertV1, TaskV1 } from '@telemetry/contracts';
import type pg from 'pg';

/**
 * Resumption after a reconnect, from the database (the alerts/tasks tables are the truth).
 *
 * Every `alert`/`task` message carries a `cursor` (ms; the emitting gateway's clock for live
 * messages, the row's change time for replayed ones). A client keeps the highest it has seen and
 * sends it as `since` when it subscribes again; the gateway then replays the current state of
 * every alert and task of that scope whose row changed after `since - overlap`. The overlap
 * absorbs clock skew between gateways and the database and the time between a change's commit and
 * its push, so a change is never missed; the price is a few repeats, which clients absorb by
 * upserting alerts by alertId and tasks by taskId.
 *
 * Why not Socket.IO's connectionStateRecovery: it needs the in-memory or a streams adapter and
 * keeps the missed packets in the server's memory (lost when that gateway restarts, and a client
 * that reconnects to another gateway gets nothing). The database survives both.
 */
export interface ReplayRows {
  alerts: Array<{ cursor: number; alert: AlertV1 }>;
  tasks: Array<{ cursor: number; task: TaskV1 }>;
  /** More rows changed than `limit`: the caller asks the client to reload instead. */
  truncated: boolean;
}

interface AlertRow {
  id: string;
  tenant_id: string;
  rule_id: string | null;
  device_id: string | null;
  asset_id: string | null;
  kind: AlertV1['kind'];
  severity: AlertV1['severity'];
  state: AlertV1['state'];
  metric: string | null;
  value: number | null;
  threshold: number | null;
  message: string;
  historical: boolean;
  opened_at: Date;
  acknowledged_by: string | null;
  resolved_by: string | null;
  changed_at: Date;
}

interface TaskRow {
  id: string;
  tenant_id: string;
  rule_id: string | null;
  asset_id: string | null;
  device_id: string | null;
  title: string;
  status: TaskV1['status'];
  due_at: Date | null;
  started_by: string | null;
  finished_by: string | null;
  created_by: string | null;
  assignees: string[];
  changed_at: Date;
}

/** The change time of a row: its creation or any later transition or event, whichever is last. */
const ALERTS_SINCE = `
  SELECT * FROM (
    SELECT a.id, a.tenant_id, a.rule_id, a.device_id, a.asset_id, a.kind, a.severity, a.state, a.metric,
           a.value, a.threshold, a.message, a.historical, a.opened_at, a.acknowledged_by, a.resolved_by,
           greatest(a.created_at, a.acknowledged_at, a.resolved_at,
                    (SELECT max(e.at) FROM alert_events e WHERE e.alert_id = a.id)) AS changed_at
      FROM alerts a
     WHERE a.tenant_id = $1
  ) x
  WHERE changed_at > $2
  ORDER BY changed_at
  LIMIT $3`;

const TASKS_SINCE = `
  SELECT * FROM (
    SELECT t.id, t.tenant_id, t.rule_id, t.asset_id, t.device_id, t.title, t.status, t.due_at,
           t.started_by, t.finished_by, t.created_by,
           coalesce((SELECT array_agg(ta.user_id::text ORDER BY ta.user_id) FROM task_assignees ta
                      WHERE ta.task_id = t.id), '{}') AS assignees,
           greatest(t.created_at, t.started_at, t.finished_at,
                    (SELECT max(e.at) FROM task_events e WHERE e.task_id = t.id)) AS changed_at
      FROM tasks t
     WHERE t.tenant_id = $1
  ) x
  WHERE changed_at > $2
  ORDER BY changed_at
  LIMIT $3`;

/** Alerts and tasks of a tenant that changed after `sinceMs`, oldest change first, at most `limit` of each. */
export async function changedSince(
  pool: pg.Pool,
  tenantId: string,
  sinceMs: number,
  limit: number,
): Promise<ReplayRows> {
  const since = new Date(sinceMs);
  const [alerts, tasks] = [
    await pool.query<AlertRow>(ALERTS_SINCE, [tenantId, since, limit + 1]),
    await pool.query<TaskRow>(TASKS_SINCE, [tenantId, since, limit + 1]),
  ];
  const result: ReplayRows = {
    alerts: [],
    tasks: [],
    truncated: alerts.rows.length > limit || tasks.rows.length > limit,
  };
  for (const row of alerts.rows.slice(0, limit)) {
    const alert = AlertV1.safeParse(alertOf(row));
    if (alert.success) result.alerts.push({ cursor: row.changed_at.getTime(), alert: alert.data });
  }
  for (const row of tasks.rows.slice(0, limit)) {
    const task = TaskV1.safeParse(taskOf(row));
    if (task.success) result.tasks.push({ cursor: row.changed_at.getTime(), task: task.data });
  }
  return result;
}

function alertOf(r: AlertRow): AlertV1 {
  return {
    v: 1,
    change: r.state === 'open' ? 'opened' : r.state,
    alertId: r.id,
    tenantId: r.tenant_id,
    ruleId: r.rule_id,
    deviceId: r.device_id,
    assetId: r.asset_id,
    kind: r.kind,
    severity: r.severity,
    state: r.state,
    metric: r.metric,
    value: r.value,
    threshold: r.threshold,
    message: r.message,
    openedAt: r.opened_at.toISOString(),
    changedAt: r.changed_at.toISOString(),
    changedBy: r.state === 'resolved' ? r.resolved_by : r.state === 'acknowledged' ? r.acknowledged_by : null,
    historical: r.historical,
  };
}

function taskOf(r: TaskRow): TaskV1 {
  return {
    v: 1,
    change: r.status === 'not_started' ? 'created' : 'status_changed',
    taskId: r.id,
    tenantId: r.tenant_id,
    ruleId: r.rule_id,
    assetId: r.asset_id,
    deviceId: r.device_id,
    title: r.title,
    status: r.status,
    dueAt: r.due_at ? r.due_at.toISOString() : null,
    assignees: r.assignees,
    changedAt: r.changed_at.toISOString(),
    changedBy: r.status === 'finished' ? r.finished_by : r.status === 'in_progress' ? r.started_by : r.created_by,
  };
}
