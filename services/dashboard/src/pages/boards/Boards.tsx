import { type FormEvent, useState } from 'react';
import { dashboards as dashboardsApi } from '../../api/endpoints.js';
import { useMe } from '../../api/session.js';
import { useWorkingTenant } from '../../components/TenantPicker.js';
import { Empty, ErrorBox, Field, Loading } from '../../components/ui.js';
import { can } from '../../lib/permissions.js';
import { browserTimeZone, formatTs } from '../../lib/time.js';
import { useAction, useResource } from '../../lib/use-resource.js';
import { href, navigate } from '../../router.js';

/** The tenant's dashboards (#21): everybody sees the list; managers and admins create one here. */
export function BoardsPage() {
  const me = useMe();
  const list = useResource(async (signal) => (await dashboardsApi.list(signal)).items, []);
  const tz = browserTimeZone();
  return (
    <>
      <h1>Dashboards</h1>
      <p className="muted">Pages of widgets your team composed, shared with everyone in the tenant, updated live.</p>
      {can(me.role, 'dashboards:write') ? <NewBoard /> : null}
      <ErrorBox error={list.error} onRetry={list.reload} />
      {list.loading && !list.data ? <Loading /> : null}
      {list.data && list.data.length === 0 ? (
        <Empty title="No dashboards yet">
          <p>
            {can(me.role, 'dashboards:write')
              ? 'Name one above, then add widgets bound to your devices.'
              : 'A manager of your tenant composes them; they appear here.'}
          </p>
        </Empty>
      ) : null}
      {list.data && list.data.length > 0 ? (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th>Name</th>
                <th>Widgets</th>
                <th>Saved</th>
              </tr>
            </thead>
            <tbody>
              {list.data.map((d) => (
                <tr key={d.id} data-dashboard-id={d.id}>
                  <td>
                    <a href={href(`/boards/${d.id}`)}>{d.name}</a>
                    {d.description ? <div className="muted">{d.description}</div> : null}
                  </td>
                  <td>{d.widgets}</td>
                  <td>{formatTs(d.updatedAt, tz)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </>
  );
}

function NewBoard() {
  const working = useWorkingTenant();
  const [name, setName] = useState('');
  const create = useAction(async () => {
    const d = await dashboardsApi.create({ name: name.trim(), tenantId: working.tenantId });
    navigate(`/boards/${d.id}?edit=1`);
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (name.trim()) void create.run();
  };
  return (
    <section className="panel" aria-labelledby="new-board-h">
      <h2 id="new-board-h" style={{ marginTop: 0 }}>
        New dashboard
      </h2>
      {working.picker}
      <form className="inline-form" onSubmit={submit} noValidate>
        <Field label="Dashboard name" name="name" error={create.error}>
          {(p) => <input {...p} required maxLength={80} value={name} onChange={(e) => setName(e.target.value)} />}
        </Field>
        <button className="primary" type="submit" disabled={create.pending || !name.trim()}>
          Create dashboard
        </button>
      </form>
      <ErrorBox error={create.error} />
    </section>
  );
}
