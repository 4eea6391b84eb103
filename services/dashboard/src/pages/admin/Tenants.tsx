import { type FormEvent, useState } from 'react';
import { tenants as tenantsApi } from '../../api/endpoints.js';
import { useMe } from '../../api/session.js';
import type { Tenant } from '../../api/types.js';
import { isPlatformAdmin } from '../../components/TenantPicker.js';
import { Empty, ErrorBox, Field, Loading } from '../../components/ui.js';
import { browserTimeZone, formatTs, isValidTimeZone } from '../../lib/time.js';
import { useAction, useResource } from '../../lib/use-resource.js';

/**
 * Tenants: a platform admin sees, creates and edits every one; a tenant's admin edits their own
 * (name, time zone, whether operators see every alert and task). The server checks both.
 */
export function TenantsAdminPage() {
  const me = useMe();
  const platform = isPlatformAdmin(me);
  const list = useResource(
    () =>
      platform ? tenantsApi.list() : me.tenantId ? tenantsApi.get(me.tenantId).then((t) => [t]) : Promise.resolve([]),
    [platform, me.tenantId],
  );
  const replace = (t: Tenant) => list.mutate((l) => l?.map((x) => (x.id === t.id ? t : x)));
  return (
    <>
      <h1>{platform ? 'Tenants' : 'Tenant settings'}</h1>
      {platform ? <NewTenant onCreated={(t) => list.mutate((l) => [...(l ?? []), t])} /> : null}
      <ErrorBox error={list.error} onRetry={list.reload} />
      {list.loading && !list.data ? <Loading /> : null}
      {list.data && list.data.length === 0 ? (
        <Empty title="No tenants yet">
          <p>Create the first one above: each customer or plant is a tenant with its own sites, users and rules.</p>
        </Empty>
      ) : null}
      {list.data?.map((t) => (
        <TenantPanel key={t.id} tenant={t} onSaved={replace} />
      ))}
    </>
  );
}

function NewTenant({ onCreated }: { onCreated: (t: Tenant) => void }) {
  const [name, setName] = useState('');
  const [timezone, setTimezone] = useState(browserTimeZone());
  const create = useAction(async () => {
    const t = await tenantsApi.create({ name: name.trim(), timezone: timezone.trim() });
    onCreated(t);
    setName('');
  });
  const tzInvalid = !isValidTimeZone(timezone.trim());
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (name.trim() && !tzInvalid) void create.run();
  };
  return (
    <section className="panel" aria-labelledby="new-tenant-h">
      <h2 id="new-tenant-h" style={{ marginTop: 0 }}>
        Create a tenant
      </h2>
      <form className="inline-form" onSubmit={submit} noValidate>
        <Field label="Tenant name" name="name" error={create.error}>
          {(p) => <input {...p} required value={name} onChange={(e) => setName(e.target.value)} />}
        </Field>
        <Field
          label="Tenant time zone"
          name="timezone"
          error={create.error}
          hint={tzInvalid ? 'Not a known IANA time zone, e.g. Europe/Berlin.' : 'The default for its new sites.'}
        >
          {(p) => <input {...p} value={timezone} onChange={(e) => setTimezone(e.target.value)} />}
        </Field>
        <button className="primary" type="submit" disabled={create.pending || !name.trim() || tzInvalid}>
          Create tenant
        </button>
      </form>
      <ErrorBox error={create.error} />
    </section>
  );
}

function TenantPanel({ tenant, onSaved }: { tenant: Tenant; onSaved: (t: Tenant) => void }) {
  const [name, setName] = useState(tenant.name);
  const [timezone, setTimezone] = useState(tenant.timezone);
  const [seeAll, setSeeAll] = useState(tenant.settings.operatorsSeeAll === true);
  const [saved, setSaved] = useState(false);
  const save = useAction(async () => {
    setSaved(false);
    // settings are replaced as a whole: the other keys (retention, late window...) go back unchanged
    const t = await tenantsApi.update(tenant.id, {
      name: name.trim(),
      timezone: timezone.trim(),
      settings: { ...tenant.settings, operatorsSeeAll: seeAll },
    });
    onSaved(t);
    setSaved(true);
  });
  const tzInvalid = !isValidTimeZone(timezone.trim());
  const prefix = `tenant-${tenant.id}`;
  return (
    <section className="panel" aria-labelledby={`${prefix}-h`}>
      <h2 id={`${prefix}-h`} style={{ marginTop: 0 }}>
        {tenant.name}{' '}
        <span className="muted" style={{ fontWeight: 400 }}>
          · since {formatTs(tenant.createdAt, tenant.timezone, 'date')}
        </span>
      </h2>
      <form
        className="inline-form"
        aria-label={`Edit ${tenant.name}`}
        onSubmit={(e) => {
          e.preventDefault();
          if (name.trim() && !tzInvalid) void save.run();
        }}
        noValidate
      >
        <Field label="Name" name="name" error={save.error}>
          {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} />}
        </Field>
        <Field label="Time zone" name="timezone" error={save.error}>
          {(p) => (
            <input {...p} aria-invalid={tzInvalid} value={timezone} onChange={(e) => setTimezone(e.target.value)} />
          )}
        </Field>
        <div className="field">
          <label>
            <input type="checkbox" checked={seeAll} onChange={(e) => setSeeAll(e.target.checked)} /> Operators see every
            alert and task
          </label>
          <span className="hint">Off: operators see only those of the sites and assets they are assigned to.</span>
        </div>
        <button type="submit" disabled={save.pending || !name.trim() || tzInvalid}>
          Save tenant
        </button>
      </form>
      {saved ? (
        <p className="muted" role="status">
          Saved.
        </p>
      ) : null}
      <ErrorBox error={save.error} />
    </section>
  );
}
