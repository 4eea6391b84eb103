import { useMemo, useState } from 'react';
import {
  assets as assetsApi,
  devices as devicesApi,
  sites as sitesApi,
  tenants as tenantsApi,
} from '../../api/endpoints.js';
import { useMe } from '../../api/session.js';
import type { Asset, Device, Tenant } from '../../api/types.js';
import { ErrorBox, Loading } from '../../components/ui.js';
import { assetPath } from '../../lib/fleet.js';
import { can } from '../../lib/permissions.js';
import { useAction, useResource } from '../../lib/use-resource.js';
import { href } from '../../router.js';
import { DeviceTypesPanel } from './DeviceTypes.js';
import { RegisterDevice } from './RegisterDevice.js';

/** Registering a device (its claim code shown once), approving or rejecting pending ones, device types. */
export function DevicesAdminPage() {
  const me = useMe();
  const isPlatform = me.role === 'admin' && me.tenantId === null;
  const data = useResource(async () => {
    const [pending, assets, sites, tenants] = await Promise.all([
      can(me.role, 'devices:admin') ? devicesApi.list({ state: 'pending' }) : Promise.resolve([] as Device[]),
      assetsApi.list(),
      sitesApi.list(),
      isPlatform ? tenantsApi.list() : Promise.resolve([] as Tenant[]),
    ]);
    return { pending, assets, sites, tenants };
  }, [me.role, isPlatform]);

  return (
    <>
      <h1>Devices</h1>
      <ErrorBox error={data.error} onRetry={data.reload} />
      {data.loading && !data.data ? <Loading /> : null}
      {can(me.role, 'devices:admin') && data.data ? (
        <RegisterDevice
          assets={data.data.assets}
          sites={data.data.sites}
          tenants={data.data.tenants}
          isPlatform={isPlatform}
        />
      ) : null}
      {can(me.role, 'devices:admin') ? (
        <section className="panel" aria-labelledby="pending-h">
          <h2 id="pending-h" style={{ marginTop: 0 }}>
            Waiting for assignment
          </h2>
          {data.data && data.data.pending.length === 0 ? (
            <p className="muted">
              No device is waiting. A new device appears here after its first handshake (POST /api/handshake/ with its
              MAC).
            </p>
          ) : null}
          <ul className="stack" style={{ listStyle: 'none', padding: 0 }}>
            {(data.data?.pending ?? []).map((d) => (
              <PendingDevice
                key={d.id}
                device={d}
                assets={data.data?.assets ?? []}
                tenants={data.data?.tenants ?? []}
                isPlatform={isPlatform}
                onDone={() => data.mutate((x) => x && { ...x, pending: x.pending.filter((p) => p.id !== d.id) })}
              />
            ))}
          </ul>
        </section>
      ) : null}
      <p>
        Every device, sorted, filtered and paged, with bulk actions: the <a href={href('/?view=table')}>fleet table</a>.
      </p>
      {can(me.role, 'devices:read') ? <DeviceTypesPanel /> : null}
    </>
  );
}

function PendingDevice({
  device,
  assets,
  tenants,
  isPlatform,
  onDone,
}: {
  device: Device;
  assets: Asset[];
  tenants: Tenant[];
  isPlatform: boolean;
  /** Approved (assigned) or rejected (deleted): it is no longer waiting. */
  onDone: () => void;
}) {
  const [tenantId, setTenantId] = useState(tenants[0]?.id ?? '');
  const [assetId, setAssetId] = useState('');
  const [name, setName] = useState('');
  const byId = useMemo(() => new Map(assets.map((a) => [a.id, a])), [assets]);
  const choices = assets.filter((a) => !isPlatform || a.tenantId === tenantId);
  const assign = useAction(async () => {
    await devicesApi.assign(device.id, {
      ...(isPlatform ? { tenantId } : {}),
      assetId: assetId || null,
      ...(name.trim() ? { name: name.trim() } : {}),
    });
    onDone();
  });
  const reject = useAction(async () => {
    if (!window.confirm(`Reject ${device.id}? It is deleted; its next handshake makes it wait again.`)) return;
    await devicesApi.remove(device.id);
    onDone();
  });
  const p = `pending-${device.id}`;
  return (
    <li className="card" data-pending-device={device.id}>
      <div>
        <strong>{device.id}</strong>{' '}
        <span className="muted">
          MAC {device.mac ?? '—'} · firmware {device.firmware ?? '—'}
        </span>
      </div>
      <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          void assign.run();
        }}
      >
        {isPlatform ? (
          <div className="field">
            <label htmlFor={`${p}-tenant`}>Tenant</label>
            <select id={`${p}-tenant`} value={tenantId} onChange={(e) => setTenantId(e.target.value)} required>
              {tenants.map((t) => (
                <option key={t.id} value={t.id}>
                  {t.name}
                </option>
              ))}
            </select>
          </div>
        ) : null}
        <div className="field">
          <label htmlFor={`${p}-asset`}>Asset</label>
          <select id={`${p}-asset`} value={assetId} onChange={(e) => setAssetId(e.target.value)}>
            <option value="">Not placed yet</option>
            {choices.map((a) => (
              <option key={a.id} value={a.id}>
                {assetPath(byId, a.id)} ({a.type})
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={`${p}-name`}>Display name</label>
          <input id={`${p}-name`} value={name} onChange={(e) => setName(e.target.value)} placeholder={device.id} />
        </div>
        <button className="primary" type="submit" disabled={assign.pending || (isPlatform && !tenantId)}>
          Assign
        </button>
        <button type="button" className="danger" disabled={reject.pending} onClick={() => void reject.run()}>
          Reject
        </button>
      </form>
      <ErrorBox error={assign.error ?? reject.error} />
    </li>
  );
}
