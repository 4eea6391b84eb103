import { type FormEvent, useCallback, useEffect, useState } from 'react';
import { sites as sitesApi, tasks as tasksApi } from '../api/endpoints.js';
import { useMe } from '../api/session.js';
import type { Page, Task, TaskStatus } from '../api/types.js';
import { Empty, ErrorBox, Field, Loading } from '../components/ui.js';
import { can } from '../lib/permissions.js';
import { formatTs, formatZoned } from '../lib/time.js';
import { useAction, useResource } from '../lib/use-resource.js';
import { useLive } from '../live/context.js';
import type { TaskChange } from '../live/protocol.js';
import { useWatchAll } from '../live/watch-all.js';
import { href } from '../router.js';

/** The car-plant workflow only moves forward (skipping ahead allowed), as the API enforces. */
const NEXT: Record<TaskStatus, TaskStatus[]> = {
  not_started: ['in_progress', 'finished'],
  in_progress: ['finished'],
  finished: [],
};

const COLUMNS: Array<{ status: TaskStatus; title: string }> = [
  { status: 'not_started', title: 'Not Started' },
  { status: 'in_progress', title: 'In Progress' },
  { status: 'finished', title: 'Finished' },
];

function applyTaskChange(list: Task[], t: TaskChange): Task[] {
  const i = list.findIndex((x) => x.id === t.taskId);
  const prev = list[i];
  const next: Task = {
    ...prev,
    id: t.taskId,
    tenantId: t.tenantId,
    title: t.title,
    description: prev?.description ?? '',
    status: t.status,
    dueAt: t.dueAt,
    deviceId: t.deviceId,
    assetId: t.assetId,
    assignees: t.assignees,
    createdAt: prev?.createdAt ?? t.changedAt,
    startedAt: t.status === 'in_progress' ? t.changedAt : (prev?.startedAt ?? null),
    finishedAt: t.status === 'finished' ? t.changedAt : null,
  };
  if (i < 0) return [next, ...list];
  const copy = list.slice();
  copy[i] = next;
  return copy;
}

/** The live update may have brought the new task before the create call answered: insert it once. */
function upsertTask(list: Task[], t: Task): Task[] {
  return list.some((x) => x.id === t.id) ? list.map((x) => (x.id === t.id ? { ...x, ...t } : x)) : [t, ...list];
}

/** The maintenance board: Not Started → In Progress → Finished, with buttons (and drag). */
export function TasksPage() {
  const me = useMe();
  const live = useLive();
  const [filters, setFilters] = useState({ siteId: '', status: '' as TaskStatus | '', mine: false });
  const sites = useResource(() => sitesApi.list(), []);
  // server-side filters and pages (#21): the board shows the pages loaded so far, newest first
  const list = useResource(
    (signal) =>
      tasksApi.list(
        {
          siteId: filters.siteId || undefined,
          status: filters.status || undefined,
          assignee: filters.mine ? 'me' : undefined,
        },
        signal,
      ),
    [filters],
  );
  const [dropTarget, setDropTarget] = useState<TaskStatus | null>(null);
  const [dragging, setDragging] = useState<Task | null>(null);
  const [announcement, setAnnouncement] = useState('');
  const mayUpdate = can(me.role, 'tasks:update');

  useWatchAll();
  const { mutate: mutatePage, reload } = list;
  const mutate = useCallback(
    (fn: (l: Task[] | undefined) => Task[] | undefined) =>
      mutatePage((page: Page<Task> | undefined) => page && { ...page, items: fn(page.items) ?? [] }),
    [mutatePage],
  );
  const more = useAction(async () => {
    const cursor = list.data?.nextCursor;
    if (!cursor) return;
    const next = await tasksApi.list({
      siteId: filters.siteId || undefined,
      status: filters.status || undefined,
      assignee: filters.mine ? 'me' : undefined,
      cursor,
    });
    mutatePage(
      (page) =>
        page && {
          items: [...page.items, ...next.items.filter((t) => !page.items.some((x) => x.id === t.id))],
          nextCursor: next.nextCursor,
        },
    );
  });
  useEffect(() => {
    const offs = [
      live.on('task', ({ task }) => mutate((l) => applyTaskChange(l ?? [], task))),
      live.on('resync', reload),
    ];
    return () => {
      for (const off of offs) off();
    };
  }, [live, mutate, reload]);

  const move = useAction(async (task: Task, status: TaskStatus) => {
    mutate((l) => l?.map((t) => (t.id === task.id ? { ...t, status } : t)));
    try {
      const updated = await tasksApi.setStatus(task.id, status);
      mutate((l) => l?.map((t) => (t.id === task.id ? { ...t, ...updated } : t)));
      setAnnouncement(`"${task.title}" moved to ${COLUMNS.find((c) => c.status === status)?.title}.`);
    } catch (err) {
      mutate((l) => l?.map((t) => (t.id === task.id ? { ...t, status: task.status } : t)));
      throw err;
    }
  });

  const tasks = list.data?.items ?? [];
  return (
    <>
      <div className="topbar">
        <h1>Tasks</h1>
      </div>
      <div className="visually-hidden" role="status" aria-live="polite">
        {announcement}
      </div>
      {can(me.role, 'tasks:create') ? <NewTask onCreated={(t) => mutate((l) => upsertTask(l ?? [], t))} /> : null}
      <div className="inline-form panel">
        <div className="field" style={{ maxWidth: '14rem' }}>
          <label htmlFor="task-site">Site</label>
          <select
            id="task-site"
            value={filters.siteId}
            onChange={(e) => setFilters((f) => ({ ...f, siteId: e.target.value }))}
          >
            <option value="">Every site</option>
            {(sites.data ?? []).map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
        </div>
        <div className="field" style={{ maxWidth: '12rem' }}>
          <label htmlFor="task-status">Status</label>
          <select
            id="task-status"
            value={filters.status}
            onChange={(e) => setFilters((f) => ({ ...f, status: e.target.value as TaskStatus | '' }))}
          >
            <option value="">Any</option>
            {COLUMNS.map((c) => (
              <option key={c.status} value={c.status}>
                {c.title}
              </option>
            ))}
          </select>
        </div>
        <label className="row">
          <input
            type="checkbox"
            checked={filters.mine}
            onChange={(e) => setFilters((f) => ({ ...f, mine: e.target.checked }))}
          />{' '}
          Assigned to me
        </label>
      </div>
      <ErrorBox error={list.error} onRetry={list.reload} />
      <ErrorBox error={move.error} />
      {list.loading && !list.data ? <Loading label="Loading tasks…" /> : null}
      {list.data && tasks.length === 0 ? (
        <Empty title="No tasks">
          <p>
            Maintenance rules create tasks when a machine is due for service
            {can(me.role, 'tasks:create') ? '; you can also add one above' : ''}.
          </p>
        </Empty>
      ) : null}
      {tasks.length > 0 ? (
        <div className="board">
          {COLUMNS.map((col) => {
            const items = tasks.filter((t) => t.status === col.status);
            return (
              <section
                key={col.status}
                className={`column${dropTarget === col.status ? ' drop' : ''}`}
                aria-labelledby={`col-${col.status}`}
                data-column={col.status}
                onDragOver={(e) => {
                  if (!mayUpdate || !dragging || !NEXT[dragging.status].includes(col.status)) return;
                  e.preventDefault();
                  setDropTarget(col.status);
                }}
                onDragLeave={() => setDropTarget(null)}
                onDrop={(e) => {
                  e.preventDefault();
                  setDropTarget(null);
                  const task = tasks.find((t) => t.id === e.dataTransfer.getData('text/plain'));
                  setDragging(null);
                  if (task && NEXT[task.status].includes(col.status)) void move.run(task, col.status);
                }}
              >
                <h2 id={`col-${col.status}`} style={{ marginTop: 0 }}>
                  {col.title} <span className="muted">({items.length})</span>
                </h2>
                <ul>
                  {items.map((t) => (
                    <li
                      key={t.id}
                      className="task"
                      data-task-id={t.id}
                      draggable={mayUpdate && NEXT[t.status].length > 0}
                      onDragStart={(e) => {
                        e.dataTransfer.setData('text/plain', t.id);
                        setDragging(t);
                      }}
                      onDragEnd={() => setDragging(null)}
                    >
                      <strong>{t.title}</strong>
                      {t.description ? <div className="muted">{t.description}</div> : null}
                      <div className="muted" style={{ fontSize: '0.8rem' }}>
                        {t.deviceId ? (
                          <>
                            <a href={href(`/devices/${encodeURIComponent(t.deviceId)}`)}>
                              {t.deviceName || t.deviceId}
                            </a>{' '}
                            ·{' '}
                          </>
                        ) : null}
                        {t.dueAt ? `due ${formatTs(t.dueAt, t.timezone ?? 'UTC', 'date')}` : 'no due date'}
                        {t.finishedAt ? ` · finished ${formatZoned(t.finishedAt, t.timezone)}` : ''}
                      </div>
                      {mayUpdate && NEXT[t.status].length > 0 ? (
                        <div className="row" style={{ marginTop: '0.4rem' }}>
                          {NEXT[t.status].map((to) => (
                            <button
                              key={to}
                              type="button"
                              disabled={move.pending}
                              onClick={() => void move.run(t, to)}
                              aria-label={`Move "${t.title}" to ${COLUMNS.find((c) => c.status === to)?.title}`}
                            >
                              {to === 'in_progress' ? 'Start' : 'Finish'}
                            </button>
                          ))}
                        </div>
                      ) : null}
                    </li>
                  ))}
                </ul>
                {items.length === 0 ? <p className="muted">Nothing here.</p> : null}
              </section>
            );
          })}
        </div>
      ) : null}
      {list.data?.nextCursor ? (
        <div className="row pager">
          <button type="button" disabled={more.pending} onClick={() => void more.run()}>
            Load older tasks
          </button>
          <ErrorBox error={more.error} />
        </div>
      ) : null}
    </>
  );
}

function NewTask({ onCreated }: { onCreated: (t: Task) => void }) {
  const [title, setTitle] = useState('');
  const [deviceId, setDeviceId] = useState('');
  const [due, setDue] = useState('');
  const create = useAction(async () => {
    const t = await tasksApi.create({
      title: title.trim(),
      deviceId: deviceId.trim() || undefined,
      dueAt: due ? new Date(`${due}T12:00:00`).toISOString() : undefined,
    });
    onCreated(t);
    setTitle('');
    setDeviceId('');
    setDue('');
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void create.run();
  };
  return (
    <details className="panel">
      <summary>New task</summary>
      <form className="inline-form" onSubmit={submit} style={{ marginTop: '0.75rem' }}>
        <Field label="Title" name="title" error={create.error}>
          {(p) => <input {...p} required value={title} onChange={(e) => setTitle(e.target.value)} />}
        </Field>
        <Field label="Device id" name="deviceId" error={create.error} hint="Optional.">
          {(p) => <input {...p} value={deviceId} onChange={(e) => setDeviceId(e.target.value)} />}
        </Field>
        <Field label="Due" name="dueAt" error={create.error}>
          {(p) => <input {...p} type="date" value={due} onChange={(e) => setDue(e.target.value)} />}
        </Field>
        <button className="primary" type="submit" disabled={create.pending || !title.trim()}>
          Add task
        </button>
      </form>
      <ErrorBox error={create.error} />
    </details>
  );
}
