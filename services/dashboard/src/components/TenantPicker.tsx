import { type FormEvent, type ReactNode, useEffect, useState } from 'react';
import { tenants as tenantsApi } from '../api/endpoints.js';
import { type Me, useMe } from '../api/session.js';
import type { Tenant } from '../api/types.js';
import { useAction, useResource } from '../lib/use-resource.js';
import { ErrorBox, Field } from './ui.js';

const KEY = 'telemetry.workingTenant';

/** A platform admin belongs to no tenant: writes name the tenant they go to (the API refuses them without one). */
export function isPlatformAdmin(me: Pick<Me, 'role' | 'tenantId'>): boolean {
  return me.role === 'admin' && me.tenantId === null;
}

function stored(): string {
  try {
    return sessionStorage.getItem(KEY) ?? '';
  } catch {
    return '';
  }
}

/**
 * The tenant a platform admin works in on an admin page (kept for the browser tab), and the picker
 * that chooses or creates it. For a tenant user it is always their own tenant and no picker is shown.
 */
export function useWorkingTenant(): { tenantId: string | undefined; picker: ReactNode } {
  const me = useMe();
  const admin = isPlatformAdmin(me);
  const [tenantId, setTenantId] = useState(stored);
  useEffect(() => {
    try {
      sessionStorage.setItem(KEY, tenantId);
    } catch {
      // storage disabled: the choice lasts as long as the page
    }
  }, [tenantId]);
  if (!admin) return { tenantId: undefined, picker: null };
  return { tenantId: tenantId || undefined, picker: <TenantPicker value={tenantId} onChange={setTenantId} /> };
}

function TenantPicker({ value, onChange }: { value: string; onChange: (id: string) => void }) {
  const list = useResource(() => tenantsApi.list(), []);
  const [name, setName] = useState('');
  const create = useAction(async () => {
    const t = await tenantsApi.create({ name: name.trim() });
    list.mutate((l) => [...(l ?? []), t]);
    onChange(t.id);
    setName('');
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (name.trim()) void create.run();
  };
  const options: Tenant[] = list.data ?? [];
  return (
    <section className="panel" aria-labelledby="tenant-picker-h">
      <h2 id="tenant-picker-h" style={{ marginTop: 0 }}>
        Working tenant
      </h2>
      <p className="muted">
        As platform admin you belong to no tenant: new sites, rules and recipients go to this one.
      </p>
      <form className="inline-form" onSubmit={submit} noValidate>
        <Field label="Tenant" name="workingTenant" error={list.error}>
          {(props) => (
            <select {...props} value={value} onChange={(e) => onChange(e.target.value)}>
              <option value="">Choose a tenant…</option>
              {options.map((t) => (
                <option key={t.id} value={t.id}>
                  {t.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Or a new tenant" name="newTenant" error={create.error}>
          {(props) => (
            <input {...props} value={name} onChange={(e) => setName(e.target.value)} placeholder="Acme Plant" />
          )}
        </Field>
        <button type="submit" disabled={create.pending || !name.trim()}>
          Create tenant
        </button>
      </form>
      <ErrorBox error={create.error} />
    </section>
  );
}
