import { useMemo, useState } from 'react';
import { assets as assetsApi, devices as devicesApi, tenants as tenantsApi } from '../../api/endpoints.js';
import { useMe } from '../../api/session.js';
import type { Asset, Device, Tenant } from '../../api/types.js';
import { Badge, Empty, ErrorBox, Loading } from '../../components/ui.js';
import { assetPath } from '../../lib/fleet.js';
import { can } from '../../lib/permissions.js';
import { browserTimeZone, formatAgo, formatTs } from '../../lib/time.js';
import { useAction, useResource } from '../../lib/use-resource.js';
import { href } from '../../router.js';
import { DeviceTypesPanel } from './DeviceTypes.js';

/** Pending devices (handshook, not yet assigned) and where every device is placed. */
export function DevicesAdminPage() {
  const me = useMe();
  const isPlatform = me.role === 'admin' && me.tenantId === null;
  const data = useResource(async () => {
    const [pending, active, assets, tenants] = await Promise.all([
      can(me.role, 'devices:admin') ? devicesApi.list({ state: 'pending' }) : Promise.resolve([] as Device[]),
      devicesApi.list({ state: 'active' }),
      assetsApi.list(),
      isPlatform ? tenantsApi.list() : Promise.resolve([] as Tenant[]),
    ]);
    return { pending, active, assets, tenants };
  }, [me.role, isPlatform]);
  const assetsById = useMemo(() => new Map((data.data?.assets ?? []).map((a) => [a.id, a])), [data.data]);
  const tz = browserTimeZone();

  return (
    <>
      <h1>Devices</h1>
      <ErrorBox error={data.error} onRetry={data.reload} />
      {data.loading && !data.data ? <Loading /> : null}
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
                onAssigned={(dev) =>
                  data.mutate(
                    (x) => x && { ...x, pending: x.pending.filter((p) => p.id !== d.id), active: [...x.active, dev] },
                  )
                }
              />
            ))}
          </ul>
        </section>
      ) : null}
      <h2>All devices</h2>
      {data.data && data.data.active.length === 0 ? (
        <Empty title="No assigned devices">
          <p>Assign a waiting device above, or ask an administrator to.</p>
        </Empty>
      ) : null}
      {data.data && data.data.active.length > 0 ? (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Device</th>
                <th scope="col">Placed at</th>
                <th scope="col">Firmware</th>
                <th scope="col">Last seen</th>
                <th scope="col">Since</th>
              </tr>
            </thead>
            <tbody>
              {data.data.active.map((d) => (
                <tr key={d.id}>
                  <td>
                    <a href={href(`/devices/${encodeURIComponent(d.id)}`)}>{d.name || d.id}</a>{' '}
                    {d.state !== 'active' ? <Badge value={d.state} /> : null}
                  </td>
                  <td>{assetPath(assetsById, d.assetId) || '—'}</td>
                  <td>{d.firmware ?? '—'}</td>
                  <td>{formatAgo(d.lastSeen)}</td>
                  <td>{formatTs(d.createdAt, tz, 'date')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {can(me.role, 'devices:read') ? <DeviceTypesPanel /> : null}
    </>
  );
}

function PendingDevice({
  device,
  assets,
  tenants,
  isPlatform,
  onAssigned,
}: {
  device: Device;
  assets: Asset[];
  tenants: Tenant[];
  isPlatform: boolean;
  onAssigned: (d: Device) => void;
}) {
  const [tenantId, setTenantId] = useState(tenants[0]?.id ?? '');
  const [assetId, setAssetId] = useState('');
  const [name, setName] = useState('');
  const byId = useMemo(() => new Map(assets.map((a) => [a.id, a])), [assets]);
  const choices = assets.filter((a) => !isPlatform || a.tenantId === tenantId);
  const assign = useAction(async () => {
    const d = await devicesApi.assign(device.id, {
      ...(isPlatform ? { tenantId } : {}),
      assetId: assetId || null,
      ...(name.trim() ? { name: name.trim() } : {}),
    });
    onAssigned(d);
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
      </form>
      <ErrorBox error={assign.error} />
    </li>
  );
}
