import { useState } from 'react';
import {
  assets as assetsApi,
  devices as devicesApi,
  recipients as recipientsApi,
  rules as rulesApi,
} from '../../api/endpoints.js';
import { useMe } from '../../api/session.js';
import type { Asset, Rule } from '../../api/types.js';
import { useWorkingTenant } from '../../components/TenantPicker.js';
import { Badge, Empty, ErrorBox, Field, formatValue, Loading } from '../../components/ui.js';
import { can } from '../../lib/permissions.js';
import { useAction, useResource } from '../../lib/use-resource.js';
import { KIND_LABELS, RuleForm } from './RuleForm.js';

function describeRule(r: Rule): string {
  const target = r.deviceId ? `device ${r.deviceId}` : r.assetType ? `every ${r.assetType}` : `asset ${r.assetId}`;
  if (r.kind === 'offline') return `${target} silent for ${r.offlineFactor}× its interval`;
  if (r.kind === 'maintenance') return `${target}: ${r.metric} every ${formatValue(r.serviceInterval)}`;
  if (r.kind === 'invalid_data') {
    return `${target}: ${formatValue(r.threshold ?? 1)} rejected message(s) within ${r.minDurationS} s`;
  }
  const cond =
    r.operator === 'outside'
      ? `${r.metric} outside ${formatValue(r.threshold)}…${formatValue(r.thresholdHigh)}`
      : `${r.metric} ${r.operator} ${formatValue(r.threshold)}`;
  const clear = r.clearThreshold !== null ? `, clears past ${formatValue(r.clearThreshold)}` : '';
  const dur = r.minDurationS ? `, for ${r.minDurationS} s` : '';
  return `${target}: ${cond}${clear}${dur}`;
}

/** Alert rules of every kind (create, edit, enable/disable, test against recent data) and who gets the emails. */
export function RulesAdminPage() {
  const me = useMe();
  const mayWrite = can(me.role, 'rules:write');
  const working = useWorkingTenant();
  const list = useResource(() => rulesApi.list(), []);
  // the targets to pick from, by name rather than by id
  const targets = useResource(async () => {
    const [assets, devices] = await Promise.all([assetsApi.list(), devicesApi.list({ state: 'active' })]);
    return { assets, devices };
  }, []);
  const assets = targets.data?.assets ?? [];
  const devices = targets.data?.devices ?? [];
  const [editing, setEditing] = useState<string | null>(null);
  const replace = (updated: Rule) =>
    list.mutate((l) => l?.map((x) => (x.id === updated.id ? { ...x, ...updated } : x)));
  const toggle = useAction(async (r: Rule) => {
    // disabling resolves the rule's open alerts (server-side): say so before
    if (r.enabled && !window.confirm(`Disable the rule "${r.name}"? Its open alerts are resolved.`)) return;
    replace(await rulesApi.update(r.id, { enabled: !r.enabled }));
  });
  const remove = useAction(async (r: Rule) => {
    if (!window.confirm(`Delete the rule "${r.name}"? Its open alerts are resolved; its alerts stay.`)) return;
    await rulesApi.remove(r.id);
    list.mutate((l) => l?.filter((x) => x.id !== r.id));
  });

  return (
    <>
      <h1>Rules and recipients</h1>
      {mayWrite ? working.picker : null}
      {mayWrite ? (
        <details className="panel">
          <summary>New rule</summary>
          <RuleForm
            tenantId={working.tenantId}
            assets={assets}
            devices={devices}
            onSaved={(r) => list.mutate((l) => [...(l ?? []), r])}
          />
        </details>
      ) : null}
      <ErrorBox error={list.error ?? toggle.error ?? remove.error} onRetry={list.reload} />
      {list.loading && !list.data ? <Loading /> : null}
      {list.data && list.data.length === 0 ? (
        <Empty title="No rules yet">
          <p>
            {mayWrite
              ? 'Add a rule above: alerts appear when a device crosses a threshold, goes silent, is due for service or sends invalid data.'
              : 'A manager sets up rules.'}
          </p>
        </Empty>
      ) : null}
      {list.data && list.data.length > 0 ? (
        <div className="table-wrap">
          <table className="cards-narrow">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Kind</th>
                <th scope="col">Condition</th>
                <th scope="col">Severity</th>
                <th scope="col">State</th>
                {mayWrite ? <th scope="col">Actions</th> : null}
              </tr>
            </thead>
            <tbody>
              {list.data.map((r) =>
                editing === r.id ? (
                  <tr key={r.id}>
                    <td colSpan={6}>
                      <RuleForm
                        rule={r}
                        tenantId={working.tenantId}
                        assets={assets}
                        devices={devices}
                        onSaved={(updated) => {
                          replace(updated);
                          setEditing(null);
                        }}
                        onCancel={() => setEditing(null)}
                      />
                    </td>
                  </tr>
                ) : (
                  <tr key={r.id} data-rule-id={r.id}>
                    <td data-label="Name">{r.name}</td>
                    <td data-label="Kind">{KIND_LABELS[r.kind] ?? r.kind}</td>
                    <td data-label="Condition">{describeRule(r)}</td>
                    <td data-label="Severity">
                      <Badge value={r.severity} />
                    </td>
                    <td data-label="State">{r.enabled ? 'enabled' : 'disabled'}</td>
                    {mayWrite ? (
                      <td data-label="Actions">
                        <div className="row">
                          <button type="button" onClick={() => setEditing(r.id)} aria-label={`Edit rule ${r.name}`}>
                            Edit
                          </button>
                          <button
                            type="button"
                            onClick={() => void toggle.run(r)}
                            aria-label={`${r.enabled ? 'Disable' : 'Enable'} rule ${r.name}`}
                          >
                            {r.enabled ? 'Disable' : 'Enable'}
                          </button>
                          <button
                            type="button"
                            className="danger"
                            onClick={() => void remove.run(r)}
                            aria-label={`Delete rule ${r.name}`}
                          >
                            Delete
                          </button>
                        </div>
                      </td>
                    ) : null}
                  </tr>
                ),
              )}
            </tbody>
          </table>
        </div>
      ) : null}
      <Recipients
        tenantId={working.tenantId}
        mayWrite={can(me.role, 'recipients:write')}
        assets={assets}
        rules={list.data ?? []}
      />
    </>
  );
}

function Recipients({
  tenantId,
  mayWrite,
  assets,
  rules,
}: {
  tenantId: string | undefined;
  mayWrite: boolean;
  assets: Asset[];
  rules: Rule[];
}) {
  const list = useResource(() => recipientsApi.list(), []);
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [assetId, setAssetId] = useState('');
  const create = useAction(async () => {
    const r = await recipientsApi.create({
      email: email.trim(),
      name: name.trim(),
      assetId: assetId.trim() || undefined,
      tenantId,
    });
    list.mutate((l) => [...(l ?? []), r]);
    setEmail('');
    setName('');
  });
  const remove = useAction(async (id: string) => {
    await recipientsApi.remove(id);
    list.mutate((l) => l?.filter((x) => x.id !== id));
  });
  return (
    <section aria-labelledby="rcpt-h">
      <h2 id="rcpt-h">Email recipients</h2>
      {mayWrite ? (
        <form
          className="inline-form panel"
          onSubmit={(e) => {
            e.preventDefault();
            void create.run();
          }}
          noValidate
        >
          <Field label="Email" name="email" error={create.error}>
            {(p) => <input {...p} type="email" required value={email} onChange={(e) => setEmail(e.target.value)} />}
          </Field>
          <Field label="Recipient name" name="name" error={create.error}>
            {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} />}
          </Field>
          <Field label="For" name="assetId" error={create.error} hint="Alerts of this asset and below.">
            {(p) => (
              <select {...p} required value={assetId} onChange={(e) => setAssetId(e.target.value)}>
                <option value="">Choose an asset…</option>
                {assets.map((a) => (
                  <option key={a.id} value={a.id}>
                    {a.name} ({a.type})
                  </option>
                ))}
              </select>
            )}
          </Field>
          <button type="submit" disabled={create.pending || !email.trim() || !assetId}>
            Add recipient
          </button>
        </form>
      ) : null}
      <ErrorBox error={create.error ?? remove.error ?? list.error} />
      {list.data && list.data.length === 0 ? <p className="muted">Nobody is emailed yet.</p> : null}
      <ul>
        {(list.data ?? []).map((r) => (
          <li key={r.id}>
            {r.name ? `${r.name} <${r.email}>` : r.email}{' '}
            <span className="muted">
              {r.assetId
                ? `for ${assets.find((a) => a.id === r.assetId)?.name ?? 'an asset'} and below`
                : `for rule ${rules.find((x) => x.id === r.ruleId)?.name ?? r.ruleId}`}
            </span>{' '}
            {mayWrite ? (
              <button
                type="button"
                className="danger"
                onClick={() => void remove.run(r.id)}
                aria-label={`Remove ${r.email}`}
              >
                Remove
              </button>
            ) : null}
          </li>
        ))}
      </ul>
    </section>
  );
}
