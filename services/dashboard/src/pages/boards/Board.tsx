import { useEffect, useState } from 'react';
import { assets as assetsApi, dashboards as dashboardsApi, devices as devicesApi } from '../../api/endpoints.js';
import { useMe } from '../../api/session.js';
import type { Asset, Dashboard, Device } from '../../api/types.js';
import { ErrorBox, Loading } from '../../components/ui.js';
import { can } from '../../lib/permissions.js';
import { ApiError } from '../../lib/problem.js';
import { useAction, useResource } from '../../lib/use-resource.js';
import { href, navigate, useLocation } from '../../router.js';
import { BoardGrid } from './BoardGrid.js';
import { KINDS, MAX_WIDGETS, newWidget, problems, type WidgetKind } from './layout.js';

export interface Picks {
  devices: Device[];
  assets: Asset[];
}

/** One dashboard: its widgets live; managers and admins switch to the builder and save. */
export function BoardPage({ id }: { id: string }) {
  const me = useMe();
  const { query } = useLocation();
  const board = useResource((signal) => dashboardsApi.get(id, signal), [id]);
  const mayEdit = can(me.role, 'dashboards:write');
  const [draft, setDraft] = useState<Dashboard | null>(null);
  const editing = draft !== null;
  // what widgets may be bound to, loaded once the builder opens (a page of devices, not the fleet)
  const picks = useResource(
    async (signal): Promise<Picks | null> => {
      if (!editing) return null;
      const [devices, assets] = await Promise.all([
        devicesApi.page({ state: 'active', limit: 200 }, signal).then((p) => p.items),
        assetsApi.list(),
      ]);
      return { devices, assets };
    },
    [editing],
  );
  const d = board.data;
  const wantsEdit = query.get('edit') === '1';
  useEffect(() => {
    if (d && mayEdit && wantsEdit) setDraft((cur) => cur ?? d);
  }, [d, mayEdit, wantsEdit]);

  if (board.error) {
    return (
      <>
        <h1>Dashboard</h1>
        <ErrorBox error={board.error} onRetry={board.reload} />
        <p>
          <a href={href('/boards')}>All dashboards</a>
        </p>
      </>
    );
  }
  if (!d) return <Loading label="Loading dashboard…" />;
  const shown = draft ?? d;
  const close = (saved?: Dashboard) => {
    if (saved) board.mutate(() => saved);
    setDraft(null);
    navigate(`/boards/${d.id}`, { replace: true });
  };
  return (
    <>
      <div className="row spread">
        <h1>{shown.name}</h1>
        {mayEdit && !draft ? (
          <button type="button" onClick={() => setDraft(d)}>
            Edit dashboard
          </button>
        ) : null}
      </div>
      {shown.description ? <p className="muted">{shown.description}</p> : null}
      {draft ? (
        <Builder
          draft={draft}
          firstDevice={picks.data?.devices[0]?.id ?? ''}
          onChange={setDraft}
          onSaved={close}
          onCancel={() => close()}
          onStale={() => {
            board.reload();
            setDraft(null);
          }}
        />
      ) : null}
      <ErrorBox error={picks.error} onRetry={picks.reload} />
      <BoardGrid
        layout={shown.layout}
        picks={draft ? (picks.data ?? null) : null}
        onLayout={(layout) => draft && setDraft({ ...draft, layout })}
      />
    </>
  );
}

function Builder({
  draft,
  firstDevice,
  onChange,
  onSaved,
  onCancel,
  onStale,
}: {
  draft: Dashboard;
  firstDevice: string;
  onChange: (d: Dashboard) => void;
  onSaved: (d: Dashboard) => void;
  onCancel: () => void;
  onStale: () => void;
}) {
  const [kind, setKind] = useState<WidgetKind>('latest');
  const todo = problems(draft.layout);
  const save = useAction(async () => {
    const { name, description, layout, version } = draft;
    onSaved(await dashboardsApi.save(draft.id, { name: name.trim(), description, layout, version }));
  });
  const remove = useAction(async () => {
    if (!window.confirm(`Delete the dashboard "${draft.name}" for everyone in the tenant?`)) return;
    await dashboardsApi.remove(draft.id);
    navigate('/boards');
  });
  const add = () => {
    const wid = `w${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
    const widgets = [...draft.layout.widgets, newWidget(kind, draft.layout.widgets, firstDevice, wid)];
    onChange({ ...draft, layout: { widgets } });
  };
  // someone saved meanwhile: the way out is to load their version (this draft is then dropped)
  const stale = save.error instanceof ApiError && save.error.status === 409;
  return (
    <section className="panel" aria-labelledby="builder-h">
      <h2 id="builder-h" style={{ marginTop: 0 }}>
        Edit dashboard
      </h2>
      <div className="inline-form">
        <label className="field">
          Name
          <input value={draft.name} maxLength={80} onChange={(e) => onChange({ ...draft, name: e.target.value })} />
        </label>
        <label className="field">
          Widget kind
          <select value={kind} onChange={(e) => setKind(e.target.value as WidgetKind)}>
            {KINDS.map((k) => (
              <option key={k.kind} value={k.kind}>
                {k.label}
              </option>
            ))}
          </select>
        </label>
        <button type="button" onClick={add} disabled={draft.layout.widgets.length >= MAX_WIDGETS}>
          Add widget
        </button>
        <button
          className="primary"
          type="button"
          onClick={() => void save.run()}
          disabled={save.pending || todo.length > 0 || !draft.name.trim()}
        >
          {save.pending ? 'Saving…' : 'Save dashboard'}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="button" className="danger" onClick={() => void remove.run()}>
          Delete dashboard
        </button>
      </div>
      {todo.length ? (
        <ul className="muted" aria-live="polite">
          {todo.map((t) => (
            <li key={t}>{t}</li>
          ))}
        </ul>
      ) : null}
      <ErrorBox error={save.error ?? remove.error} onRetry={stale ? onStale : undefined} />
    </section>
  );
}
