import { type FormEvent, useEffect, useState } from 'react';
import { shadows as shadowsApi } from '../api/endpoints.js';
import { useMe } from '../api/session.js';
import type { Shadow } from '../api/types.js';
import { Badge, ErrorBox, Field } from '../components/ui.js';
import { can } from '../lib/permissions.js';
import { formatTs } from '../lib/time.js';
import { useAction, useResource } from '../lib/use-resource.js';

const show = (v: unknown) => (v === undefined || v === null ? '—' : typeof v === 'string' ? v : JSON.stringify(v));

/** A typed value: JSON when it parses (30, true, {"a":1}), else the text itself. */
function parseValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * A device's desired configuration (#18): desired (its type's defaults under its own values),
 * what the device reported applying, and the difference. Managers edit the device's own values;
 * the store is the record, so it is polled while the device has not caught up.
 */
export function DeviceShadow({ deviceId, timeZone }: { deviceId: string; timeZone: string }) {
  const me = useMe();
  const mayWrite = can(me.role, 'devices:write');
  const shadow = useResource((signal) => shadowsApi.get(deviceId, signal), [deviceId]);
  const { reload, mutate } = shadow;
  const pending = shadow.data ? !shadow.data.inSync : false;
  useEffect(() => {
    if (!pending) return;
    const t = setInterval(reload, 2_000);
    return () => clearInterval(t);
  }, [pending, reload]);
  const saved = (next: Shadow) => mutate(() => next);
  const remove = useAction(async (key: string) => saved(await shadowsApi.patch(deviceId, { [key]: null })));

  const s = shadow.data;
  const keys = s ? [...new Set([...Object.keys(s.desired), ...Object.keys(s.reported)])].sort() : [];
  return (
    <section className="panel" aria-labelledby="shadow-h">
      <h2 id="shadow-h" style={{ marginTop: 0 }}>
        Configuration
      </h2>
      <ErrorBox error={shadow.error ?? remove.error} onRetry={reload} />
      {s ? (
        <p className="row">
          <Badge value={s.inSync ? 'in_sync' : 'pending'} label={s.inSync ? 'Applied' : 'Waiting for the device'} />
          <span className="muted">
            desired version {s.version}, reported {s.reportedVersion}
            {s.reportedAt ? ` at ${formatTs(s.reportedAt, timeZone)}` : ''}
          </span>
        </p>
      ) : null}
      {s && keys.length === 0 ? (
        <p className="muted">Nothing desired yet. The device receives its configuration when it connects.</p>
      ) : null}
      {s && keys.length > 0 ? (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th>Attribute</th>
                <th>Desired</th>
                <th>Reported</th>
                <th>State</th>
                {mayWrite ? <th /> : null}
              </tr>
            </thead>
            <tbody>
              {keys.map((k) => {
                const differs = k in s.delta;
                const own = k in s.deviceDesired;
                return (
                  <tr key={k} data-attribute={k}>
                    <td>
                      <code>{k}</code>
                    </td>
                    <td>
                      {show(s.desired[k])}
                      {k in s.desired && !own ? <span className="muted"> (type default)</span> : null}
                    </td>
                    <td>{show(s.reported[k])}</td>
                    <td>
                      {k in s.desired ? (
                        <Badge value={differs ? 'pending' : 'in_sync'} label={differs ? 'Pending' : 'Applied'} />
                      ) : (
                        <span className="muted">reported only</span>
                      )}
                    </td>
                    {mayWrite ? (
                      <td>
                        {own ? (
                          <button type="button" onClick={() => void remove.run(k)} disabled={remove.pending}>
                            Remove
                          </button>
                        ) : null}
                      </td>
                    ) : null}
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      ) : null}
      {mayWrite && s ? <SetAttribute deviceId={deviceId} version={s.version} onSaved={saved} /> : null}
    </section>
  );
}

function SetAttribute({
  deviceId,
  version,
  onSaved,
}: {
  deviceId: string;
  version: number;
  onSaved: (s: Shadow) => void;
}) {
  const [key, setKey] = useState('');
  const [value, setValue] = useState('');
  const save = useAction(async () => {
    // expectedVersion: refused (409) when someone changed it meanwhile, rather than overwritten blindly
    onSaved(await shadowsApi.patch(deviceId, { [key.trim()]: parseValue(value) }, version));
    setKey('');
    setValue('');
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (key.trim() && value.trim()) void save.run();
  };
  return (
    <form className="inline-form" onSubmit={submit} noValidate>
      <Field label="Attribute" name="desired" error={save.error} hint="e.g. interval_s">
        {(p) => <input {...p} required value={key} onChange={(e) => setKey(e.target.value)} />}
      </Field>
      <Field label="Desired value" name="value" error={save.error} hint="A number, true/false, JSON or text">
        {(p) => <input {...p} required value={value} onChange={(e) => setValue(e.target.value)} />}
      </Field>
      <button className="primary" type="submit" disabled={save.pending || !key.trim() || !value.trim()}>
        Set
      </button>
      <ErrorBox error={save.error} />
    </form>
  );
}
