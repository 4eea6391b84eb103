import type { Principal } from '@telemetry/auth';
import { AppError } from '@telemetry/contracts';
import { toTaskV1 } from '@telemetry/store';
import { audit } from '../audit.js';
import { auditRow } from '../http/audited.js';
import type { Publisher } from '../publish.js';
import { notFound, writeTenant } from '../scope.js';
import {
  addTaskEvent,
  assetExists,
  countTenantUsers,
  deviceAsset,
  insertTask,
  loadTask,
  resetBaseline,
  type Status,
  setAssignees,
  setTaskStatus,
  type TaskRow,
} from './repository.js';

export function presentTask(r: TaskRow) {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    ruleId: r.rule_id,
    assetId: r.asset_id,
    assetName: r.asset_name,
    deviceId: r.device_id,
    deviceName: r.device_name || null,
    siteId: r.site_id,
    timezone: r.timezone,
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

type Db = Parameters<typeof loadTask>[0];

const assertUsers = async (db: Db, tenantId: string, userIds: string[]) => {
  if (userIds.length === 0) return;
  if ((await countTenantUsers(db, tenantId, userIds)) !== new Set(userIds).size) throw notFound('assignee');
};

/** The rules of the tasks resource: creation, the status workflow, assignment; each change published live. */
export function createTaskService(deps: { publish: Publisher; now: () => number }) {
  const { publish } = deps;
  return {
    create: (
      p: Principal,
      body: {
        title: string;
        description?: string;
        assetId?: string;
        deviceId?: string;
        dueAt?: Date;
        assignees?: string[];
        tenantId?: string;
      },
    ) =>
      publish.inTransaction(async (client, emit) => {
        const tenantId = writeTenant(p, body.tenantId);
        if (body.assetId && !(await assetExists(client, tenantId, body.assetId))) throw notFound('asset');
        let assetId = body.assetId ?? null;
        if (body.deviceId) {
          const device = await deviceAsset(client, tenantId, body.deviceId);
          if (!device) throw notFound('device');
          assetId ??= device.asset_id;
        }
        const assignees = [...new Set(body.assignees ?? [])];
        await assertUsers(client, tenantId, assignees);
        const taskId = await insertTask(client, {
          tenantId,
          assetId,
          deviceId: body.deviceId ?? null,
          title: body.title,
          description: body.description ?? '',
          dueAt: body.dueAt ?? null,
          createdBy: p.userId,
        });
        await setAssignees(client, taskId, assignees, false);
        await addTaskEvent(client, { taskId, from: null, to: 'not_started', actorId: p.userId });
        await audit(client, p, {
          action: 'create',
          entity: 'task',
          entityId: taskId,
          tenantId,
          details: { title: body.title },
        });
        const task = await loadTask(client, p, taskId);
        emit(publish.task(toTaskV1(task, { change: 'created', changedAt: new Date(deps.now()), changedBy: p.userId })));
        return presentTask(task);
      }),

    setStatus: (p: Principal, taskId: string, status: Status) =>
      publish.inTransaction(async (client, emit) => {
        const task = await loadTask(client, p, taskId, true);
        if (task.status === status) return presentTask(task);
        if (!NEXT[task.status].includes(status)) {
          throw new AppError(
            'CONFLICT',
            `a ${task.status} task cannot go to ${status} (Not Started → In Progress → Finished)`,
          );
        }
        const at = new Date(deps.now());
        await setTaskStatus(client, task.id, status, at, p.userId);
        await addTaskEvent(client, { taskId: task.id, from: task.status, to: status, actorId: p.userId, at });
        if (status === 'finished' && task.rule_id && task.device_id) await resetBaseline(client, task);
        await auditRow(client, p, 'status', 'task', task, { from: task.status, to: status });
        const updated = await loadTask(client, p, task.id);
        emit(publish.task(toTaskV1(updated, { change: 'status_changed', changedAt: at, changedBy: p.userId })));
        return presentTask(updated);
      }),

    assign: (p: Principal, taskId: string, userIds: string[]) =>
      publish.inTransaction(async (client, emit) => {
        const task = await loadTask(client, p, taskId, true);
        const ids = [...new Set(userIds)];
        await assertUsers(client, task.tenant_id, ids);
        await setAssignees(client, task.id, ids, true);
        await auditRow(client, p, 'assign', 'task', task, { userIds: ids });
        const updated = await loadTask(client, p, task.id);
        emit(
          publish.task(toTaskV1(updated, { change: 'assigned', changedAt: new Date(deps.now()), changedBy: p.userId })),
        );
        return presentTask(updated);
      }),
  };
}
