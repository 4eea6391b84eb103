import { type FormEvent, useState } from 'react';
import { deviceTypes as deviceTypesApi } from '../../api/endpoints.js';
import { useMe } from '../../api/session.js';
import type { DeviceType } from '../../api/types.js';
import { useWorkingTenant } from '../../components/TenantPicker.js';
import { ErrorBox, Field } from '../../components/ui.js';
import { can } from '../../lib/permissions.js';
import { useAction, useResource } from '../../lib/use-resource.js';

/**
 * Device types and their deadband: a reading is kept raw only when a metric moved more than its band
 * (the car-plant seed's "stored only on change"); the rollups still count every reading.
 */
export function DeviceTypesPanel() {
  const me = useMe();
  const working = useWorkingTenant();
  const platform = me.role === 'admin' && me.tenantId === null;
  const list = useResource(
    (signal) => (platform && !working.tenantId ? Promise.resolve([]) : deviceTypesApi.list(working.tenantId, signal)),
    [working.tenantId, platform],
  );
  const mayWrite = can(me.role, 'devices:write');
  return (
    <section className="panel" aria-labelledby="types-h">
      <h2 id="types-h" style={{ marginTop: 0 }}>
        Device types
      </h2>
      {platform ? working.picker : null}
      <p className="muted">
        Deadband: a reading is stored raw only when a metric moved more than its band since the last stored one (
        <code>*</code> = every other metric, empty = store every reading). Rollups count every reading.
      </p>
      <ErrorBox error={list.error} onRetry={list.reload} />
      {list.data && list.data.length === 0 ? <p className="muted">No device types yet: add a device first.</p> : null}
      <ul className="stack" style={{ listStyle: 'none', padding: 0 }}>
        {(list.data ?? []).map((t) => (
          <li key={t.name} data-device-type={t.name}>
            <DeviceTypeRow
              type={t}
              tenantId={working.tenantId}
              mayWrite={mayWrite}
              onSaved={(u) => list.mutate((l) => l?.map((x) => (x.name === u.name ? u : x)))}
            />
          </li>
        ))}
      </ul>
    </section>
  );
}

function DeviceTypeRow({
  type,
  tenantId,
  mayWrite,
  onSaved,
}: {
  type: DeviceType;
  tenantId: string | undefined;
  mayWrite: boolean;
  onSaved: (t: DeviceType) => void;
}) {
  const [text, setText] = useState(JSON.stringify(type.deadband ?? {}));
  const [parseError, setParseError] = useState<string | null>(null);
  const save = useAction(async () => {
    let deadband: Record<string, number>;
    try {
      deadband = JSON.parse(text || '{}') as Record<string, number>;
    } catch {
      setParseError('A JSON object of metric → band, e.g. {"temperature": 0.5, "*": 0}');
      return;
    }
    setParseError(null);
    onSaved(await deviceTypesApi.update(type.name, { deadband, tenantId }));
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void save.run();
  };
  return (
    <form className="inline-form" onSubmit={submit} noValidate>
      <strong>{type.name}</strong>
      <span className="muted">
        {type.devices} device{type.devices === 1 ? '' : 's'}
      </span>
      <Field label={`Deadband of ${type.name}`} name="deadband" error={save.error} hint={parseError ?? undefined}>
        {(p) => <input {...p} value={text} disabled={!mayWrite} onChange={(e) => setText(e.target.value)} />}
      </Field>
      {mayWrite ? (
        <button type="submit" disabled={save.pending}>
          Save
        </button>
      ) : null}
      <ErrorBox error={save.error} />
    </form>
  );
}
