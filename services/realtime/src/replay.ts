import { AlertV1, TaskV1 } from '@telemetry/contracts';
import { type AlertRow, alertColumns, type TaskRow, taskColumns, toAlertV1, toTaskV1 } from '@telemetry/store';
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

interface ReplayAlertRow extends AlertRow {
  acknowledged_by: string | null;
  resolved_by: string | null;
  changed_at: Date;
}

interface ReplayTaskRow extends TaskRow {
  started_by: string | null;
  finished_by: string | null;
  created_by: string | null;
  changed_at: Date;
}

/**
 * Rows of `from` (aliased `alias`) of tenant $1 whose change time — `changedAt`: the row's creation or any
 * later transition or event, whichever is last — is after $2, oldest change first, at most $3.
 */
const changedRows = (select: string, from: string, alias: string, changedAt: string) => `
  SELECT * FROM (
    SELECT ${select},
           ${changedAt} AS changed_at
      FROM ${from} ${alias}
     WHERE ${alias}.tenant_id = $1
  ) x
  WHERE changed_at > $2
  ORDER BY changed_at
  LIMIT $3`;

const ALERTS_SINCE = changedRows(
  `${alertColumns('a')}, a.acknowledged_by, a.resolved_by`,
  'alerts',
  'a',
  'greatest(a.created_at, a.acknowledged_at, a.resolved_at, (SELECT max(e.at) FROM alert_events e WHERE e.alert_id = a.id))',
);

const TASKS_SINCE = changedRows(
  `${taskColumns('t')}, t.started_by, t.finished_by, t.created_by`,
  'tasks',
  't',
  'greatest(t.created_at, t.started_at, t.finished_at, (SELECT max(e.at) FROM task_events e WHERE e.task_id = t.id))',
);

/** Alerts and tasks of a tenant that changed after `sinceMs`, oldest change first, at most `limit` of each. */
export async function changedSince(
  pool: pg.Pool,
  tenantId: string,
  sinceMs: number,
  limit: number,
): Promise<ReplayRows> {
  const since = new Date(sinceMs);
  const [alerts, tasks] = [
    await pool.query<ReplayAlertRow>(ALERTS_SINCE, [tenantId, since, limit + 1]),
    await pool.query<ReplayTaskRow>(TASKS_SINCE, [tenantId, since, limit + 1]),
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

/** A row's current state as the message of its latest change. */
function alertOf(r: ReplayAlertRow): AlertV1 {
  return toAlertV1(r, {
    change: r.state === 'open' ? 'opened' : r.state,
    changedAt: r.changed_at,
    changedBy: r.state === 'resolved' ? r.resolved_by : r.state === 'acknowledged' ? r.acknowledged_by : null,
  });
}

function taskOf(r: ReplayTaskRow): TaskV1 {
  return toTaskV1(r, {
    change: r.status === 'not_started' ? 'created' : 'status_changed',
    changedAt: r.changed_at,
    changedBy: r.status === 'finished' ? r.finished_by : r.status === 'in_progress' ? r.started_by : r.created_by,
  });
}
