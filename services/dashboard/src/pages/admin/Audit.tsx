import { type FormEvent, useState } from 'react';
import { type AuditQuery, audit as auditApi, users as usersApi } from '../../api/endpoints.js';
import type { AuditEntry } from '../../api/types.js';
import { useWorkingTenant } from '../../components/TenantPicker.js';
import { Empty, ErrorBox, Loading } from '../../components/ui.js';
import { browserTimeZone, formatTs, fromZonedInput } from '../../lib/time.js';
import { useResource } from '../../lib/use-resource.js';

const RESOURCES = ['tenant', 'site', 'asset', 'user', 'device', 'device_type', 'rule', 'recipient', 'alert', 'task'];
const ACTIONS = [
  'create',
  'update',
  'move',
  'delete',
  'assign',
  'unassign',
  'reset_password',
  'bind',
  'unbind',
  'revoke',
];
const PAGE = 25;

interface Filters {
  actorId: string;
  action: string;
  entity: string;
  /** datetime-local values, in the browser's zone */
  from: string;
  to: string;
}
const NONE: Filters = { actorId: '', action: '', entity: '', from: '', to: '' };

function toQuery(f: Filters, tz: string): AuditQuery {
  const iso = (v: string) => (v ? new Date(fromZonedInput(v, tz)).toISOString() : undefined);
  return {
    actorId: f.actorId || undefined,
    action: f.action.trim() || undefined,
    entity: f.entity || undefined,
    from: iso(f.from),
    to: iso(f.to),
  };
}

/** Who changed what, when: the tenant's audit log, filtered and paged on the server (admins). */
export function AuditPage() {
  const working = useWorkingTenant();
  const tz = browserTimeZone();
  const [draft, setDraft] = useState<Filters>(NONE);
  const [applied, setApplied] = useState<Filters>(NONE);
  // the cursors of the pages before the current one: "Newer" goes back without a backward cursor
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors[cursors.length - 1];
  const people = useResource(() => usersApi.list({ tenantId: working.tenantId }), [working.tenantId]);
  const page = useResource(
    (signal) => auditApi.page({ ...toQuery(applied, tz), tenantId: working.tenantId, cursor, limit: PAGE }, signal),
    [applied, cursor, working.tenantId, tz],
  );
  const set = (k: keyof Filters) => (e: { target: { value: string } }) =>
    setDraft((d) => ({ ...d, [k]: e.target.value }));
  const apply = (e: FormEvent) => {
    e.preventDefault();
    setCursors([]);
    setApplied(draft);
  };
  const reset = () => {
    setDraft(NONE);
    setApplied(NONE);
    setCursors([]);
  };
  const items: AuditEntry[] = page.data?.items ?? [];
  return (
    <>
      <h1>Audit log</h1>
      {working.picker}
      <form className="inline-form panel" onSubmit={apply} aria-label="Audit filters">
        <div className="field">
          <label htmlFor="audit-actor">Actor</label>
          <select id="audit-actor" value={draft.actorId} onChange={set('actorId')}>
            <option value="">Anyone</option>
            {(people.data ?? []).map((u) => (
              <option key={u.id} value={u.id}>
                {u.username}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="audit-action">Action</label>
          <input id="audit-action" list="audit-actions" value={draft.action} onChange={set('action')} />
          <datalist id="audit-actions">
            {ACTIONS.map((a) => (
              <option key={a} value={a} />
            ))}
          </datalist>
          <span className="hint">One, or several separated by commas.</span>
        </div>
        <div className="field">
          <label htmlFor="audit-entity">Resource</label>
          <select id="audit-entity" value={draft.entity} onChange={set('entity')}>
            <option value="">Any</option>
            {RESOURCES.map((r) => (
              <option key={r} value={r}>
                {r.replace('_', ' ')}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="audit-from">From</label>
          <input id="audit-from" type="datetime-local" value={draft.from} onChange={set('from')} />
        </div>
        <div className="field">
          <label htmlFor="audit-to">To</label>
          <input id="audit-to" type="datetime-local" value={draft.to} onChange={set('to')} />
          <span className="hint">Times in {tz}.</span>
        </div>
        <button className="primary" type="submit">
          Apply filters
        </button>
        <button type="button" onClick={reset}>
          Clear
        </button>
      </form>
      <ErrorBox error={page.error} onRetry={page.reload} />
      {page.loading && !page.data ? <Loading /> : null}
      {page.data && items.length === 0 ? (
        <Empty title="No entries">
          <p>Nothing matches these filters{cursors.length ? ' on this page' : ''}.</p>
        </Empty>
      ) : null}
      {items.length > 0 ? (
        <div className="table-wrap">
          <table aria-label="Audit entries">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Actor</th>
                <th scope="col">Action</th>
                <th scope="col">Resource</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {items.map((e) => (
                <tr key={e.id}>
                  <td>{formatTs(e.at, tz)}</td>
                  <td>{e.actorUsername ?? (e.actorId ? 'deleted user' : 'system')}</td>
                  <td>{e.action.replace('_', ' ')}</td>
                  <td>
                    {e.entity} <span className="muted">{e.entityId ?? ''}</span>
                  </td>
                  <td>
                    <code className="muted">{summarize(e.details)}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <nav className="pager" aria-label="Audit pages">
        <button type="button" disabled={cursors.length === 0} onClick={() => setCursors((c) => c.slice(0, -1))}>
          Newer
        </button>{' '}
        <span className="muted">Page {cursors.length + 1}</span>{' '}
        <button
          type="button"
          disabled={!page.data?.nextCursor}
          onClick={() => {
            const next = page.data?.nextCursor;
            if (next) setCursors((c) => [...c, next]);
          }}
        >
          Older
        </button>
      </nav>
    </>
  );
}

/** `name=Floor 1, type=floor`: short enough for a table cell, the full JSON in the tooltip-free log. */
function summarize(details: Record<string, unknown>): string {
  const s = Object.entries(details)
    .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(', ');
  return s.length > 120 ? `${s.slice(0, 119)}…` : s;
}
