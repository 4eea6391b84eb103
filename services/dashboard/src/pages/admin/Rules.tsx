import { type FormEvent, useState } from 'react';
import {
  assets as assetsApi,
  devices as devicesApi,
  recipients as recipientsApi,
  rules as rulesApi,
} from '../../api/endpoints.js';
import { useMe } from '../../api/session.js';
import type { Asset, Device, Rule, Severity } from '../../api/types.js';
import { useWorkingTenant } from '../../components/TenantPicker.js';
import { Badge, Empty, ErrorBox, Field, formatValue, Loading } from '../../components/ui.js';
import { can } from '../../lib/permissions.js';
import { useAction, useResource } from '../../lib/use-resource.js';

type Target = 'deviceId' | 'assetType' | 'assetId';

function describeRule(r: Rule): string {
  const target = r.deviceId ? `device ${r.deviceId}` : r.assetType ? `every ${r.assetType}` : `asset ${r.assetId}`;
  if (r.kind === 'offline') return `${target} silent for ${r.offlineFactor}× its interval`;
  if (r.kind === 'maintenance') return `${target}: ${r.metric} every ${formatValue(r.serviceInterval)}`;
  const cond =
    r.operator === 'outside'
      ? `${r.metric} outside ${formatValue(r.threshold)}…${formatValue(r.thresholdHigh)}`
      : `${r.metric} ${r.operator} ${formatValue(r.threshold)}`;
  const clear = r.clearThreshold !== null ? `, clears past ${formatValue(r.clearThreshold)}` : '';
  const dur = r.minDurationS ? `, for ${r.minDurationS} s` : '';
  return `${target}: ${cond}${clear}${dur}`;
}

/** Alert rules (thresholds with hysteresis, offline, maintenance) and who gets the emails. */
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
  const toggle = useAction(async (r: Rule) => {
    const updated = await rulesApi.update(r.id, { enabled: !r.enabled });
    list.mutate((l) => l?.map((x) => (x.id === r.id ? { ...x, ...updated } : x)));
  });
  const remove = useAction(async (r: Rule) => {
    if (!window.confirm(`Delete the rule "${r.name}"? Its open alerts stay.`)) return;
    await rulesApi.remove(r.id);
    list.mutate((l) => l?.filter((x) => x.id !== r.id));
  });

  return (
    <>
      <h1>Rules and recipients</h1>
      {mayWrite ? working.picker : null}
      {mayWrite ? (
        <NewRule
          tenantId={working.tenantId}
          assets={assets}
          devices={devices}
          onCreated={(r) => list.mutate((l) => [...(l ?? []), r])}
        />
      ) : null}
      <ErrorBox error={list.error ?? toggle.error ?? remove.error} onRetry={list.reload} />
      {list.loading && !list.data ? <Loading /> : null}
      {list.data && list.data.length === 0 ? (
        <Empty title="No rules yet">
          <p>
            {mayWrite
              ? 'Add a threshold rule above: alerts appear when a device crosses it.'
              : 'A manager sets up rules.'}
          </p>
        </Empty>
      ) : null}
      {list.data && list.data.length > 0 ? (
        <div className="table-wrap">
          <table>
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
              {list.data.map((r) => (
                <tr key={r.id}>
                  <td>{r.name}</td>
                  <td>{r.kind}</td>
                  <td>{describeRule(r)}</td>
                  <td>
                    <Badge value={r.severity} />
                  </td>
                  <td>{r.enabled ? 'enabled' : 'disabled'}</td>
                  {mayWrite ? (
                    <td>
                      <div className="row">
                        <button type="button" onClick={() => void toggle.run(r)}>
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
              ))}
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

const num = (s: string): number | null => (s.trim() === '' ? null : Number(s));

function NewRule({
  tenantId,
  onCreated,
  assets,
  devices,
}: {
  tenantId: string | undefined;
  onCreated: (r: Rule) => void;
  assets: Asset[];
  devices: Device[];
}) {
  const types = [...new Set(assets.map((a) => a.type))].sort();
  const [f, setF] = useState({
    name: '',
    target: 'assetType' as Target,
    targetValue: '',
    metric: '',
    operator: '>' as NonNullable<Rule['operator']>,
    threshold: '',
    clearThreshold: '',
    minDurationS: '0',
    severity: 'warning' as Severity,
  });
  const set = (k: keyof typeof f) => (e: React.ChangeEvent<HTMLInputElement | HTMLSelectElement>) =>
    setF((x) => ({ ...x, [k]: e.target.value }));
  const create = useAction(async () => {
    const r = await rulesApi.create({
      tenantId,
      name: f.name.trim(),
      kind: 'threshold',
      [f.target]: f.targetValue.trim(),
      metric: f.metric.trim(),
      operator: f.operator,
      threshold: num(f.threshold),
      clearThreshold: num(f.clearThreshold),
      minDurationS: Number(f.minDurationS) || 0,
      severity: f.severity,
      enabled: true,
    });
    onCreated(r);
    setF((x) => ({ ...x, name: '', threshold: '', clearThreshold: '' }));
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void create.run();
  };
  return (
    <details className="panel">
      <summary>New threshold rule</summary>
      <form className="inline-form" onSubmit={submit} noValidate style={{ marginTop: '0.75rem' }}>
        <Field label="Rule name" name="name" error={create.error}>
          {(p) => <input {...p} required value={f.name} onChange={set('name')} />}
        </Field>
        <Field label="Applies to" name="target" error={create.error}>
          {(p) => (
            <select
              {...p}
              value={f.target}
              onChange={(e) => setF((x) => ({ ...x, target: e.target.value as Target, targetValue: '' }))}
            >
              <option value="assetType">Every asset of a type</option>
              <option value="deviceId">One device</option>
              <option value="assetId">An asset and what is under it</option>
            </select>
          )}
        </Field>
        <Field
          label={f.target === 'deviceId' ? 'Device' : f.target === 'assetType' ? 'Asset type' : 'Asset'}
          name={f.target}
          error={create.error}
        >
          {(p) =>
            f.target === 'assetType' ? (
              <input {...p} required list="rule-types" value={f.targetValue} onChange={set('targetValue')} />
            ) : (
              <select {...p} required value={f.targetValue} onChange={set('targetValue')}>
                <option value="">Choose…</option>
                {f.target === 'deviceId'
                  ? devices.map((d) => (
                      <option key={d.id} value={d.id}>
                        {d.name || d.id}
                      </option>
                    ))
                  : assets.map((a) => (
                      <option key={a.id} value={a.id}>
                        {a.name} ({a.type})
                      </option>
                    ))}
              </select>
            )
          }
        </Field>
        <datalist id="rule-types">
          {types.map((t) => (
            <option key={t} value={t} />
          ))}
        </datalist>
        <Field label="Metric" name="metric" error={create.error} hint="e.g. temperature, level, battery">
          {(p) => <input {...p} required value={f.metric} onChange={set('metric')} />}
        </Field>
        <Field label="Condition" name="operator" error={create.error}>
          {(p) => (
            <select {...p} value={f.operator} onChange={set('operator')}>
              <option value=">">above (&gt;)</option>
              <option value=">=">at or above (≥)</option>
              <option value="<">below (&lt;)</option>
              <option value="<=">at or below (≤)</option>
            </select>
          )}
        </Field>
        <Field label="Threshold" name="threshold" error={create.error}>
          {(p) => <input {...p} type="number" step="any" required value={f.threshold} onChange={set('threshold')} />}
        </Field>
        <Field label="Clears past" name="clearThreshold" error={create.error} hint="Hysteresis; empty = threshold">
          {(p) => <input {...p} type="number" step="any" value={f.clearThreshold} onChange={set('clearThreshold')} />}
        </Field>
        <Field label="For at least (s)" name="minDurationS" error={create.error}>
          {(p) => <input {...p} type="number" min={0} value={f.minDurationS} onChange={set('minDurationS')} />}
        </Field>
        <Field label="Severity" name="severity" error={create.error}>
          {(p) => (
            <select {...p} value={f.severity} onChange={set('severity')}>
              <option value="info">info</option>
              <option value="warning">warning</option>
              <option value="critical">critical</option>
            </select>
          )}
        </Field>
        <button className="primary" type="submit" disabled={create.pending}>
          Add rule
        </button>
      </form>
      <ErrorBox error={create.error} />
    </details>
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
