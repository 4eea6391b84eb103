import type { Principal } from '@telemetry/auth';
import { type TaskRow as TaskMessageRow, taskColumns } from '@telemetry/store';
import type pg from 'pg';
import { type Keyset, listPage, type Page } from '../http/pagination.js';
import { notFound, tenantWhere, visibleWorkWhere } from '../scope.js';

type Db = Pick<pg.ClientBase, 'query'>;
export type Status = TaskMessageRow['status'];

/** The row the routes read: what its tasks.v1 message needs, the workflow trail and the names people read. */
export interface TaskRow extends TaskMessageRow {
  description: string;
  trigger_value: number | null;
  started_at: Date | null;
  started_by: string | null;
  finished_at: Date | null;
  finished_by: string | null;
  created_by: string | null;
  created_at: Date;
  device_name: string | null;
  asset_name: string | null;
  site_id: string | null;
  /** The site's zone, else the tenant's: the one zone its times are shown in. */
  timezone: string;
}
const FROM = `tasks t
  LEFT JOIN devices dv ON dv.id = t.device_id
  LEFT JOIN assets asx ON asx.id = t.asset_id
  LEFT JOIN sites st ON st.id = asx.site_id
  JOIN tenants tn ON tn.id = t.tenant_id`;
const COLUMNS = `${taskColumns('t')},
  t.description, t.trigger_value, t.started_at, t.started_by, t.finished_at, t.finished_by, t.created_by, t.created_at,
  dv.name AS device_name, asx.name AS asset_name, st.id AS site_id, coalesce(st.timezone, tn.timezone) AS timezone`;

export async function loadTask(db: Db, p: Principal, taskId: string, lock = false): Promise<TaskRow> {
  const params: unknown[] = [taskId];
  const { rows } = await db.query<TaskRow>(
    `SELECT ${COLUMNS} FROM ${FROM} WHERE t.id = $1 AND ${tenantWhere(p, 't.tenant_id', params)}
       AND ${visibleWorkWhere(p, 't.asset_id', params, 't.id')}${lock ? ' FOR UPDATE OF t' : ''}`,
    params,
  );
  if (!rows[0]) throw notFound('task');
  return rows[0];
}

export interface TaskFilter {
  status?: string[];
  deviceId?: string;
  assetId?: string;
  siteId?: string;
  /** A user id. */
  assignee?: string;
  since?: Date;
  until?: Date;
  tenantId?: string;
}

export function listTasks<T>(
  db: Db,
  p: Principal,
  f: TaskFilter,
  page: { cursor?: string; limit: number },
  map: (r: TaskRow) => T,
): Promise<Page<T>> {
  const params: unknown[] = [];
  const where = [tenantWhere(p, 't.tenant_id', params), visibleWorkWhere(p, 't.asset_id', params, 't.id')];
  if (f.status) where.push(`t.status = ANY($${params.push(f.status)}::text[])`);
  if (f.deviceId) where.push(`t.device_id = $${params.push(f.deviceId)}`);
  if (f.assetId) where.push(`t.asset_id = $${params.push(f.assetId)}`);
  if (f.siteId) where.push(`asx.site_id = $${params.push(f.siteId)}::uuid`);
  if (f.since) where.push(`t.created_at >= $${params.push(f.since)}`);
  if (f.until) where.push(`t.created_at < $${params.push(f.until)}`);
  if (f.tenantId) where.push(`t.tenant_id = $${params.push(f.tenantId)}`);
  if (f.assignee) {
    where.push(
      `EXISTS (SELECT 1 FROM task_assignees ta WHERE ta.task_id = t.id AND ta.user_id = $${params.push(f.assignee)})`,
    );
  }
  const keyset: Keyset = { column: 't.created_at', type: 'timestamptz', id: 't.id', direction: 'desc' };
  return listPage(db, { columns: COLUMNS, from: FROM, where, params, keyset }, page, map);
}

export async function assetExists(db: Db, tenantId: string, assetId: string): Promise<boolean> {
  const { rowCount } = await db.query('SELECT 1 FROM assets WHERE id = $1 AND tenant_id = $2', [assetId, tenantId]);
  return (rowCount ?? 0) > 0;
}

/** The device's asset (undefined: no such device in the tenant). */
export async function deviceAsset(
  db: Db,
  tenantId: string,
  deviceId: string,
): Promise<{ asset_id: string | null } | undefined> {
  const { rows } = await db.query<{ asset_id: string | null }>(
    'SELECT asset_id FROM devices WHERE id = $1 AND tenant_id = $2',
    [deviceId, tenantId],
  );
  return rows[0];
}

export async function countTenantUsers(db: Db, tenantId: string, userIds: string[]): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM users WHERE id = ANY($1::uuid[]) AND tenant_id = $2',
    [userIds, tenantId],
  );
  return rows[0]?.n ?? 0;
}

export async function insertTask(
  db: Db,
  t: {
    tenantId: string;
    assetId: string | null;
    deviceId: string | null;
    title: string;
    description: string;
    dueAt: Date | null;
    createdBy: string | null;
  },
): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO tasks (tenant_id, asset_id, device_id, title, description, due_at, created_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
    [t.tenantId, t.assetId, t.deviceId, t.title, t.description, t.dueAt, t.createdBy],
  );
  return rows[0]?.id as string;
}

export async function setAssignees(db: Db, taskId: string, userIds: string[], replace: boolean): Promise<void> {
  if (replace) await db.query('DELETE FROM task_assignees WHERE task_id = $1', [taskId]);
  if (userIds.length === 0) return;
  await db.query(
    'INSERT INTO task_assignees (task_id, user_id) SELECT $1, u FROM unnest($2::uuid[]) AS u ON CONFLICT DO NOTHING',
    [taskId, userIds],
  );
}

export async function addTaskEvent(
  db: Db,
  e: { taskId: string; from: Status | null; to: Status; actorId: string | null; at?: Date },
): Promise<void> {
  await db.query(
    'INSERT INTO task_events (task_id, from_status, to_status, actor_id, at) VALUES ($1, $2, $3, $4, coalesce($5, now()))',
    [e.taskId, e.from, e.to, e.actorId, e.at ?? null],
  );
}

export async function setTaskStatus(
  db: Db,
  taskId: string,
  status: Status,
  at: Date,
  by: string | null,
): Promise<void> {
  await db.query(
    `UPDATE tasks SET status = $2,
       started_at = CASE WHEN $2 = 'in_progress' OR started_at IS NULL THEN coalesce(started_at, $3) ELSE started_at END,
       started_by = CASE WHEN started_by IS NULL THEN $4::uuid ELSE started_by END,
       finished_at = CASE WHEN $2 = 'finished' THEN $3 ELSE finished_at END,
       finished_by = CASE WHEN $2 = 'finished' THEN $4::uuid ELSE finished_by END
     WHERE id = $1`,
    [taskId, status, at, by],
  );
}

export async function taskEvents(
  db: Db,
  taskId: string,
): Promise<{ from_status: string | null; to_status: string; actor_id: string | null; at: Date }[]> {
  const { rows } = await db.query<{ from_status: string | null; to_status: string; actor_id: string | null; at: Date }>(
    'SELECT from_status, to_status, actor_id, at FROM task_events WHERE task_id = $1 ORDER BY at, id LIMIT 500',
    [taskId],
  );
  return rows;
}

/**
 * Finishing a maintenance task starts the next service interval: the rule's baseline becomes the
 * counter value that triggered the task, or (when unknown) the device's current counter. The rules
 * worker reads rule_state.baseline on its next evaluation.
 */
export async function resetBaseline(db: Db, task: TaskRow): Promise<void> {
  const { rows } = await db.query<{ metric: string | null; current: number | null }>(
    `SELECT r.metric, (ds.latest -> r.metric ->> 'v')::float8 AS current
     FROM rules r LEFT JOIN device_state ds ON ds.tenant_id = r.tenant_id AND ds.device_id = $2
     WHERE r.id = $1`,
    [task.rule_id, task.device_id],
  );
  const rule = rows[0];
  if (!rule) return;
  const baseline = task.trigger_value ?? rule.current;
  if (baseline === null || baseline === undefined) return;
  await db.query(
    `INSERT INTO rule_state (rule_id, device_id, tenant_id, baseline, updated_at) VALUES ($1, $2, $3, $4, now())
     ON CONFLICT (rule_id, device_id) DO UPDATE SET baseline = EXCLUDED.baseline, updated_at = now()`,
    [task.rule_id, task.device_id, task.tenant_id, baseline],
  );
}
