import type { Principal } from '@telemetry/auth';
import { type TaskRow as TaskMessageRow, taskColumns } from '@telemetry/store';
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
export type Status = TaskMessageRow['status'];

/** The row the routes read: what its tasks.v1 message needs, the workflow trail and the names people read. */
export interface TaskRow extends TaskMessageRow, PlacedRow {
  description: string;
  trigger_value: number | null;
  started_at: Date | null;
  started_by: string | null;
  finished_at: Date | null;
  finished_by: string | null;
  created_by: string | null;
  created_at: Date;
}
const TASKS: WorkItems<TaskFilter> = {
  entity: 'task',
  table: 'tasks',
  alias: 't',
  columns: `${taskColumns('t')},
  t.description, t.trigger_value, t.started_at, t.started_by, t.finished_at, t.finished_by, t.created_by, t.created_at,
  ${placedColumns}`,
  time: 't.created_at',
  taskColumn: 't.id',
  filter: (f, where, params) => {
    if (f.status) where.push(`t.status = ANY($${params.push(f.status)}::text[])`);
    if (f.assignee) {
      where.push(
        `EXISTS (SELECT 1 FROM task_assignees ta WHERE ta.task_id = t.id AND ta.user_id = $${params.push(f.assignee)})`,
      );
    }
  },
};

export function loadTask(db: Db, p: Principal, taskId: string, lock = false): Promise<TaskRow> {
  return loadWorkItem(db, TASKS, p, taskId, lock);
}

export interface TaskFilter extends PlaceFilter {
  status?: string[];
  /** A user id. */
  assignee?: string;
}

/** A page of the tasks the caller sees that match `f`, newest first. */
export const listTasks = <T>(
  db: Db,
  p: Principal,
  f: TaskFilter,
  page: PageRequest,
  map: (r: TaskRow) => T,
): Promise<Page<T>> => listWorkItems(db, TASKS, p, f, page, map);

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
