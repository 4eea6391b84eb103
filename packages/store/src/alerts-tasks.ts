import type { AlertV1, TaskV1 } from '@telemetry/contracts';

/**
 * The alerts and tasks rows (0003) as an alerts.v1 / tasks.v1 message carries them, and the
 * mapping row → message. The api (acknowledge, resolve, task changes), the rules worker (opened,
 * auto-resolved), the notifier (reminders) and the realtime gateway (replay) all build their
 * messages here, so a field added to a message is read and mapped in one place. Callers select
 * these columns plus their own, and parse the result with the schema where they did before.
 */

/** The columns of an alerts row that its alerts.v1 message needs. */
export interface AlertRow {
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
}

const ALERT_COLUMNS: readonly (keyof AlertRow)[] = [
  'id',
  'tenant_id',
  'rule_id',
  'device_id',
  'asset_id',
  'kind',
  'severity',
  'state',
  'metric',
  'value',
  'threshold',
  'message',
  'historical',
  'opened_at',
];

/** The SELECT / RETURNING list of an AlertRow; `alias` qualifies each column (`al` → `al.id, …`). */
export function alertColumns(alias?: string): string {
  const prefix = alias ? `${alias}.` : '';
  return ALERT_COLUMNS.map((c) => prefix + c).join(', ');
}

/** What a message adds to its row: which change, when, and by whom (null: the system). */
export interface RowChange<C extends string> {
  change: C;
  changedAt: Date;
  changedBy: string | null;
}

export function toAlertV1(r: AlertRow, c: RowChange<AlertV1['change']>): AlertV1 {
  return {
    v: 1,
    change: c.change,
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
    changedAt: c.changedAt.toISOString(),
    changedBy: c.changedBy,
    historical: r.historical,
  };
}

/** The columns of a tasks row (with its assignees) that its tasks.v1 message needs. */
export interface TaskRow {
  id: string;
  tenant_id: string;
  rule_id: string | null;
  asset_id: string | null;
  device_id: string | null;
  title: string;
  status: TaskV1['status'];
  due_at: Date | null;
  /** User ids, ordered (task_assignees). */
  assignees: string[];
}

/**
 * The SELECT list of a TaskRow from `tasks <alias>`; the alias is required because the assignees
 * subquery refers to the task's id through it (and must not be `ta`, the subquery's own).
 */
export function taskColumns(alias: string): string {
  const t = alias;
  return `${t}.id, ${t}.tenant_id, ${t}.rule_id, ${t}.asset_id, ${t}.device_id, ${t}.title, ${t}.status, ${t}.due_at,
  coalesce((SELECT array_agg(ta.user_id::text ORDER BY ta.user_id) FROM task_assignees ta WHERE ta.task_id = ${t}.id), '{}') AS assignees`;
}

export function toTaskV1(r: TaskRow, c: RowChange<TaskV1['change']>): TaskV1 {
  return {
    v: 1,
    change: c.change,
    taskId: r.id,
    tenantId: r.tenant_id,
    ruleId: r.rule_id,
    assetId: r.asset_id,
    deviceId: r.device_id,
    title: r.title,
    status: r.status,
    dueAt: r.due_at?.toISOString() ?? null,
    assignees: r.assignees,
    changedAt: c.changedAt.toISOString(),
    changedBy: c.changedBy,
  };
}
