import { type FormEvent, useRef, useState } from 'react';
import { devices as devicesApi } from '../../api/endpoints.js';
import type { Asset, Device, Site, Tenant } from '../../api/types.js';
import { ErrorBox } from '../../components/ui.js';
import { useAction } from '../../lib/use-resource.js';
import { href } from '../../router.js';
import { AssetSelect } from '../AssetSelect.js';

/**
 * Pre-registers a device (admins): the answer carries its one-time claim code, which the
 * installer enters on the device; its first handshake with the code makes it active here.
 */
export function RegisterDevice({
  assets,
  sites,
  tenants,
  isPlatform,
}: {
  assets: Asset[];
  sites: Site[];
  tenants: Tenant[];
  isPlatform: boolean;
}) {
  const [id, setId] = useState('');
  const [name, setName] = useState('');
  const [deviceType, setDeviceType] = useState('');
  const [assetId, setAssetId] = useState('');
  const [tenantId, setTenantId] = useState(tenants[0]?.id ?? '');
  const [created, setCreated] = useState<{ device: Device; claimCode: string } | null>(null);
  const codeRef = useRef<HTMLDivElement>(null);
  const create = useAction(async () => {
    const res = await devicesApi.create({
      id: id.trim() || undefined,
      name: name.trim() || undefined,
      deviceType: deviceType.trim() || undefined,
      assetId: assetId || undefined,
      ...(isPlatform ? { tenantId } : {}),
    });
    setCreated(res);
    setId('');
    setName('');
    setAssetId('');
    requestAnimationFrame(() => codeRef.current?.focus());
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setCreated(null);
    void create.run();
  };
  return (
    <section className="panel" aria-labelledby="register-h">
      <h2 id="register-h" style={{ marginTop: 0 }}>
        Add a device
      </h2>
      <form className="inline-form" onSubmit={submit}>
        {isPlatform ? (
          <div className="field">
            <label htmlFor="reg-tenant">Tenant</label>
            <select id="reg-tenant" value={tenantId} onChange={(e) => setTenantId(e.target.value)} required>
              {tenants.map((t) => (
                <option key={t.id} value={t.id}>
                  {t.name}
                </option>
              ))}
            </select>
          </div>
        ) : null}
        <div className="field">
          <label htmlFor="reg-id">Device id</label>
          <input id="reg-id" value={id} onChange={(e) => setId(e.target.value)} placeholder="generated if empty" />
        </div>
        <div className="field">
          <label htmlFor="reg-name">Display name</label>
          <input id="reg-name" value={name} onChange={(e) => setName(e.target.value)} maxLength={200} />
        </div>
        <div className="field">
          <label htmlFor="reg-type">Type</label>
          <input
            id="reg-type"
            value={deviceType}
            onChange={(e) => setDeviceType(e.target.value)}
            placeholder="generic"
          />
        </div>
        <AssetSelect
          id="reg-asset"
          label="Place at"
          assets={assets}
          sites={sites}
          tenantId={isPlatform ? tenantId : undefined}
          value={assetId}
          onChange={setAssetId}
        />
        <button className="primary" type="submit" disabled={create.pending || (isPlatform && !tenantId)}>
          Add device
        </button>
      </form>
      <ErrorBox error={create.error} />
      {created ? (
        <div className="notice" role="status" ref={codeRef} tabIndex={-1} id="created-device">
          <p style={{ marginTop: 0 }}>
            <a href={href(`/devices/${encodeURIComponent(created.device.id)}`)}>
              {created.device.name || created.device.id}
            </a>{' '}
            is registered. Enter this claim code on the device now: it is shown only once.
          </p>
          <span className="secret" data-testid="claim-code">
            {created.claimCode}
          </span>
        </div>
      ) : null}
    </section>
  );
}
