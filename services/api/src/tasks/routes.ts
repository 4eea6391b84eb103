import { page, Task, TaskDetail } from '@telemetry/api-contract';
import { z } from 'zod';
import type { ApiContext } from '../context.js';
import type { RouteTable } from '../http/route-table.js';
import { deviceId, id, isoTime, pageQuery, qList } from '../http/validation.js';
import { listTasks, loadTask, taskEvents } from './repository.js';
import { createTaskService, presentTask } from './service.js';

const TaskParams = z.object({ taskId: id });
const STATUSES = ['not_started', 'in_progress', 'finished'] as const;

/** Transport of the tasks resource: the route specs; rules in service.ts, SQL in repository.ts. */
export function registerTaskRoutes(table: RouteTable, ctx: ApiContext): void {
  const { store } = ctx;
  const tasks = createTaskService({ publish: ctx.publish, now: ctx.now });

  table.add({
    method: 'get',
    path: '/api/tasks',
    summary:
      'Maintenance tasks, newest first, paged; filters: status, device, asset, site, assignee (a user id or "me"), since/until (created)',
    tags: ['tasks'],
    access: 'tasks:read',
    response: page(Task),
    query: z.object({
      ...pageQuery,
      status: qList(z.enum(STATUSES)).optional(),
      deviceId: deviceId.optional(),
      assetId: id.optional(),
      siteId: id.optional(),
      assignee: z.union([z.literal('me'), id]).optional(),
      since: isoTime.optional(),
      until: isoTime.optional(),
      tenantId: id.optional(),
    }),
    handler: ({ query, principal }) => {
      const { limit, cursor, assignee, ...filter } = query;
      const user = assignee === 'me' ? principal.userId : assignee;
      return listTasks(
        store.pool,
        principal,
        { ...filter, assignee: user ?? undefined },
        { limit, cursor },
        presentTask,
      );
    },
  });

  table.add({
    method: 'post',
    path: '/api/tasks',
    summary: 'Create a task by hand (managers, admins)',
    tags: ['tasks'],
    access: 'tasks:create',
    response: Task,
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
    handler: ({ body, principal }) => tasks.create(principal, body),
  });

  table.add({
    method: 'get',
    path: '/api/tasks/:taskId',
    summary: 'One task with its status history (who, when)',
    tags: ['tasks'],
    access: 'tasks:read',
    response: TaskDetail,
    params: TaskParams,
    handler: async ({ params, principal }) => {
      const task = await loadTask(store.pool, principal, params.taskId);
      const events = await taskEvents(store.pool, task.id);
      return {
        ...presentTask(task),
        events: events.map((e) => ({
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
    response: Task,
    params: TaskParams,
    body: z.object({ status: z.enum(STATUSES) }),
    example: { status: 'in_progress' },
    handler: ({ params, body, principal }) => tasks.setStatus(principal, params.taskId, body.status),
  });

  table.add({
    method: 'post',
    path: '/api/tasks/:taskId/assignees',
    summary: 'Set the people a task is assigned to',
    tags: ['tasks'],
    access: 'tasks:create',
    response: Task,
    params: TaskParams,
    body: z.object({ userIds: z.array(id).max(50) }),
    example: { userIds: [] },
    handler: ({ params, body, principal }) => tasks.assign(principal, params.taskId, body.userIds),
  });
}
