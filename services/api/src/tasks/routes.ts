import type { Principal } from '@telemetry/auth';
import { AppError } from '@telemetry/contracts';
import { type TaskRow as TaskMessageRow, taskColumns, toTaskV1 } from '@telemetry/store';
import type pg from 'pg';
import { z } from 'zod';
import { audit } from '../audit.js';
import type { ApiContext } from '../context.js';
import { auditRow } from '../http/audited.js';
import { type Keyset, listPage } from '../http/pagination.js';
import type { RouteTable } from '../http/route-table.js';
import { deviceId, id, isoTime, pageQuery, qList } from '../http/validation.js';
import { notFound, tenantWhere, visibleWorkWhere, writeTenant } from '../scope.js';

type Db = Pick<pg.ClientBase, 'query'>;
type Status = TaskMessageRow['status'];

/** The row the routes read: what its tasks.v1 message needs, and the workflow trail. */
interface TaskRow extends TaskMessageRow {
  description: string;
  trigger_value: number | null;
  started_at: Date | null;
  started_by: string | null;
  finished_at: Date | null;
  finished_by: string | null;
  created_by: string | null;
  created_at: Date;
}
const COLUMNS = `${taskColumns('t')},
  t.description, t.trigger_value, t.started_at, t.started_by, t.finished_at, t.finished_by, t.created_by, t.created_at`;

function presentTask(r: TaskRow) {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    ruleId: r.rule_id,
    assetId: r.asset_id,
    deviceId: r.device_id,
    title: r.title,
    description: r.description,
    status: r.status,
    dueAt: r.due_at?.toISOString() ?? null,
    triggerValue: r.trigger_value,
    assignees: r.assignees,
    createdAt: r.created_at.toISOString(),
    createdBy: r.created_by,
    startedAt: r.started_at?.toISOString() ?? null,
    startedBy: r.started_by,
    finishedAt: r.finished_at?.toISOString() ?? null,
    finishedBy: r.finished_by,
  };
}

/** The car-plant seed's workflow: Not Started → In Progress → Finished (skipping ahead allowed, never back). */
const NEXT: Record<Status, Status[]> = {
  not_started: ['in_progress', 'finished'],
  in_progress: ['finished'],
  finished: [],
};

const TaskParams = z.object({ taskId: id });

export function registerTaskRoutes(table: RouteTable, ctx: ApiContext): void {
  const { store, publish } = ctx;

  const load = async (db: Db, p: Principal, taskId: string, lock = false): Promise<TaskRow> => {
    const params: unknown[] = [taskId];
    const { rows } = await db.query<TaskRow>(
      `SELECT ${COLUMNS} FROM tasks t WHERE t.id = $1 AND ${tenantWhere(p, 't.tenant_id', params)}
         AND ${visibleWorkWhere(p, 't.asset_id', params, 't.id')}${lock ? ' FOR UPDATE OF t' : ''}`,
      params,
    );
    if (!rows[0]) throw notFound('task');
    return rows[0];
  };

  const assertUsers = async (db: Db, tenantId: string, userIds: string[]) => {
    if (userIds.length === 0) return;
    const { rows } = await db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM users WHERE id = ANY($1::uuid[]) AND tenant_id = $2',
      [userIds, tenantId],
    );
    if ((rows[0]?.n ?? 0) !== new Set(userIds).size) throw notFound('assignee');
  };

  table.add({
    method: 'get',
    path: '/api/tasks',
    summary: 'Maintenance tasks, newest first; filters: status, device, asset, assignee (a user id or "me")',
    tags: ['tasks'],
    access: 'tasks:read',
    query: z.object({
      ...pageQuery,
      status: qList(z.enum(['not_started', 'in_progress', 'finished'])).optional(),
      deviceId: deviceId.optional(),
      assetId: id.optional(),
      assignee: z.union([z.literal('me'), id]).optional(),
      since: isoTime.optional(),
      tenantId: id.optional(),
    }),
    handler: async ({ query, principal }) => {
      const params: unknown[] = [];
      const where = [
        tenantWhere(principal, 't.tenant_id', params),
        visibleWorkWhere(principal, 't.asset_id', params, 't.id'),
      ];
      if (query.status) where.push(`t.status = ANY($${params.push(query.status)}::text[])`);
      if (query.deviceId) where.push(`t.device_id = $${params.push(query.deviceId)}`);
      if (query.assetId) where.push(`t.asset_id = $${params.push(query.assetId)}`);
      if (query.since) where.push(`t.created_at >= $${params.push(query.since)}`);
      if (query.tenantId) where.push(`t.tenant_id = $${params.push(query.tenantId)}`);
      if (query.assignee) {
        const user = query.assignee === 'me' ? principal.userId : query.assignee;
        where.push(
          `EXISTS (SELECT 1 FROM task_assignees ta WHERE ta.task_id = t.id AND ta.user_id = $${params.push(user)})`,
        );
      }
      const keyset: Keyset = { column: 't.created_at', type: 'timestamptz', id: 't.id', direction: 'desc' };
      return listPage(store.pool, { columns: COLUMNS, from: 'tasks t', where, params, keyset }, query, presentTask);
    },
  });

  table.add({
    method: 'post',
    path: '/api/tasks',
    summary: 'Create a task by hand (managers, admins)',
    tags: ['tasks'],
    access: 'tasks:create',
    body: z.object({
      title: z.string().min(1).max(200),
      description: z.string().max(5000).optional(),
      assetId: id.optional(),
      deviceId: deviceId.optional(),
      dueAt: isoTime.optional(),
      assignees: z.array(id).max(50).optional(),
      tenantId: id.optional(),
    }),
    example: { title: 'Replace the ozone lamp', description: 'Counter passed 10,000 treatments', assignees: [] },
    status: 201,
    handler: async ({ body, principal }) =>
      presentTask(
        await publish.inTransaction(async (client, emit) => {
          const tenantId = writeTenant(principal, body.tenantId);
          if (body.assetId) {
            const { rowCount } = await client.query('SELECT 1 FROM assets WHERE id = $1 AND tenant_id = $2', [
              body.assetId,
              tenantId,
            ]);
            if (!rowCount) throw notFound('asset');
          }
          let assetId = body.assetId ?? null;
          if (body.deviceId) {
            const { rows } = await client.query<{ asset_id: string | null }>(
              'SELECT asset_id FROM devices WHERE id = $1 AND tenant_id = $2',
              [body.deviceId, tenantId],
            );
            if (!rows[0]) throw notFound('device');
            assetId ??= rows[0].asset_id;
          }
          const assignees = [...new Set(body.assignees ?? [])];
          await assertUsers(client, tenantId, assignees);
          const { rows } = await client.query<{ id: string }>(
            `INSERT INTO tasks (tenant_id, asset_id, device_id, title, description, due_at, created_by)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
            [
              tenantId,
              assetId,
              body.deviceId ?? null,
              body.title,
              body.description ?? '',
              body.dueAt ?? null,
              principal.userId,
            ],
          );
          const taskId = rows[0]?.id as string;
          for (const u of assignees)
            await client.query('INSERT INTO task_assignees (task_id, user_id) VALUES ($1, $2)', [taskId, u]);
          await client.query(
            'INSERT INTO task_events (task_id, from_status, to_status, actor_id) VALUES ($1, NULL, $2, $3)',
            [taskId, 'not_started', principal.userId],
          );
          await audit(client, principal, {
            action: 'create',
            entity: 'task',
            entityId: taskId,
            tenantId,
            details: { title: body.title },
          });
          const task = await load(client, principal, taskId);
          emit(
            publish.task(
              toTaskV1(task, { change: 'created', changedAt: new Date(ctx.now()), changedBy: principal.userId }),
            ),
          );
          return task;
        }),
      ),
  });

  table.add({
    method: 'get',
    path: '/api/tasks/:taskId',
    summary: 'One task with its status history (who, when)',
    tags: ['tasks'],
    access: 'tasks:read',
    params: TaskParams,
    handler: async ({ params, principal }) => {
      const task = await load(store.pool, principal, params.taskId);
      const { rows } = await store.pool.query<{
        from_status: string | null;
        to_status: string;
        actor_id: string | null;
        at: Date;
      }>('SELECT from_status, to_status, actor_id, at FROM task_events WHERE task_id = $1 ORDER BY at, id LIMIT 500', [
        task.id,
      ]);
      return {
        ...presentTask(task),
        events: rows.map((e) => ({
          from: e.from_status,
          to: e.to_status,
          actorId: e.actor_id,
          at: e.at.toISOString(),
        })),
      };
    },
  });

  table.add({
    method: 'post',
    path: '/api/tasks/:taskId/status',
    summary:
      'Move a task along Not Started → In Progress → Finished; finishing a maintenance task resets its rule’s baseline',
    tags: ['tasks'],
    access: 'tasks:update',
    params: TaskParams,
    body: z.object({ status: z.enum(['not_started', 'in_progress', 'finished']) }),
    example: { status: 'in_progress' },
    handler: async ({ params, body, principal }) =>
      presentTask(
        await publish.inTransaction(async (client, emit) => {
          const task = await load(client, principal, params.taskId, true);
          if (task.status === body.status) return task;
          if (!NEXT[task.status].includes(body.status)) {
            throw new AppError(
              'CONFLICT',
              `a ${task.status} task cannot go to ${body.status} (Not Started → In Progress → Finished)`,
            );
          }
          const at = new Date(ctx.now());
          await client.query(
            `UPDATE tasks SET status = $2,
               started_at = CASE WHEN $2 = 'in_progress' OR started_at IS NULL THEN coalesce(started_at, $3) ELSE started_at END,
               started_by = CASE WHEN started_by IS NULL THEN $4::uuid ELSE started_by END,
               finished_at = CASE WHEN $2 = 'finished' THEN $3 ELSE finished_at END,
               finished_by = CASE WHEN $2 = 'finished' THEN $4::uuid ELSE finished_by END
             WHERE id = $1`,
            [task.id, body.status, at, principal.userId],
          );
          await client.query(
            'INSERT INTO task_events (task_id, from_status, to_status, actor_id, at) VALUES ($1, $2, $3, $4, $5)',
            [task.id, task.status, body.status, principal.userId, at],
          );
          if (body.status === 'finished' && task.rule_id && task.device_id) await resetBaseline(client, task);
          await auditRow(client, principal, 'status', 'task', task, { from: task.status, to: body.status });
          const updated = await load(client, principal, task.id);
          emit(
            publish.task(toTaskV1(updated, { change: 'status_changed', changedAt: at, changedBy: principal.userId })),
          );
          return updated;
        }),
      ),
  });

  table.add({
    method: 'post',
    path: '/api/tasks/:taskId/assignees',
    summary: 'Set the people a task is assigned to',
    tags: ['tasks'],
    access: 'tasks:create',
    params: TaskParams,
    body: z.object({ userIds: z.array(id).max(50) }),
    example: { userIds: [] },
    handler: async ({ params, body, principal }) =>
      presentTask(
        await publish.inTransaction(async (client, emit) => {
          const task = await load(client, principal, params.taskId, true);
          const ids = [...new Set(body.userIds)];
          await assertUsers(client, task.tenant_id, ids);
          await client.query('DELETE FROM task_assignees WHERE task_id = $1', [task.id]);
          for (const u of ids)
            await client.query('INSERT INTO task_assignees (task_id, user_id) VALUES ($1, $2)', [task.id, u]);
          await auditRow(client, principal, 'assign', 'task', task, { userIds: ids });
          const updated = await load(client, principal, task.id);
          emit(
            publish.task(
              toTaskV1(updated, { change: 'assigned', changedAt: new Date(ctx.now()), changedBy: principal.userId }),
            ),
          );
          return updated;
        }),
      ),
  });
}

/**
 * Finishing a maintenance task starts the next service interval: the rule's baseline becomes the
 * counter value that triggered the task, or (when unknown) the device's current counter. The rules
 * worker reads rule_state.baseline on its next evaluation.
 */
async function resetBaseline(db: Db, task: TaskRow): Promise<void> {
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
