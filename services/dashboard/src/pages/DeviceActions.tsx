import { type FormEvent, useRef, useState } from 'react';
import { devices as devicesApi } from '../api/endpoints.js';
import { useMe } from '../api/session.js';
import type { Asset, Device, Site } from '../api/types.js';
import { Badge, ErrorBox } from '../components/ui.js';
import { can } from '../lib/permissions.js';
import { useAction } from '../lib/use-resource.js';
import { navigate } from '../router.js';
import { AssetSelect } from './AssetSelect.js';

/**
 * What may be done to one device, per role (the server enforces it; the UI only hides what it
 * would refuse): managers rename and move it, admins also rotate its token, revoke or delete it.
 * Operators and viewers see nothing here.
 */
export function DeviceActions({
  device: d,
  assets,
  sites,
  onChange,
}: {
  device: Device;
  assets: Asset[];
  sites: Site[];
  onChange: (d: Device) => void;
}) {
  const me = useMe();
  const [name, setName] = useState(d.name);
  const [assetId, setAssetId] = useState('');
  const [token, setToken] = useState<string | null>(null);
  const tokenRef = useRef<HTMLDivElement>(null);

  const rename = useAction(async () => onChange(await devicesApi.update(d.id, { name: name.trim() })));
  const move = useAction(async (to: string | null) => {
    onChange(await (to ? devicesApi.bind(d.id, to) : devicesApi.unbind(d.id)));
    setAssetId('');
  });
  const rotate = useAction(async () => {
    if (!window.confirm(`Issue a new token for ${d.name || d.id}? The current one stops working now.`)) return;
    setToken((await devicesApi.rotateToken(d.id)).token);
    requestAnimationFrame(() => tokenRef.current?.focus());
  });
  const revoke = useAction(async () => {
    if (!window.confirm(`Revoke ${d.name || d.id}? It is refused from its next connection.`)) return;
    onChange(await devicesApi.revoke(d.id));
  });
  const remove = useAction(async () => {
    if (!window.confirm(`Delete ${d.name || d.id}? Its bindings go; stored readings stay.`)) return;
    await devicesApi.remove(d.id);
    navigate('/?view=table');
  });

  if (!can(me.role, 'devices:write')) return null;
  const admin = can(me.role, 'devices:admin');
  const active = d.state === 'active';
  const submitName = (e: FormEvent) => {
    e.preventDefault();
    void rename.run();
  };
  return (
    <section className="panel" aria-labelledby="dev-actions-h">
      <h2 id="dev-actions-h" style={{ marginTop: 0 }}>
        Manage this device
      </h2>
      {d.state !== 'active' ? (
        <p data-device-state={d.state}>
          <Badge value={d.state} />{' '}
          {d.state === 'revoked' ? 'Refused at its next connection or request.' : 'Waiting to be assigned.'}
        </p>
      ) : null}
      <form className="inline-form" onSubmit={submitName}>
        <div className="field">
          <label htmlFor="dev-name">Name</label>
          <input id="dev-name" value={name} maxLength={200} onChange={(e) => setName(e.target.value)} />
        </div>
        <button type="submit" disabled={rename.pending || !name.trim() || name.trim() === d.name}>
          Rename
        </button>
      </form>
      <ErrorBox error={rename.error} />
      {active ? (
        <div className="inline-form">
          <AssetSelect
            id="dev-move"
            label="Move to"
            assets={assets}
            sites={sites}
            tenantId={d.tenantId}
            value={assetId}
            onChange={setAssetId}
          />
          <button type="button" disabled={!assetId || move.pending} onClick={() => void move.run(assetId)}>
            Move
          </button>
          {d.assetId ? (
            <button type="button" disabled={move.pending} onClick={() => void move.run(null)}>
              Unplace
            </button>
          ) : null}
        </div>
      ) : null}
      <ErrorBox error={move.error} />
      {admin ? (
        <div className="row" style={{ marginTop: '0.75rem' }}>
          {active ? (
            <button type="button" disabled={rotate.pending} onClick={() => void rotate.run()}>
              Rotate token
            </button>
          ) : null}
          {d.state !== 'revoked' ? (
            <button type="button" className="danger" disabled={revoke.pending} onClick={() => void revoke.run()}>
              Revoke
            </button>
          ) : null}
          <button type="button" className="danger" disabled={remove.pending} onClick={() => void remove.run()}>
            Delete
          </button>
        </div>
      ) : null}
      <ErrorBox error={rotate.error ?? revoke.error ?? remove.error} />
      {token ? (
        <div className="notice" role="status" ref={tokenRef} tabIndex={-1}>
          <p style={{ marginTop: 0 }}>
            The new token, shown only this once: put it on the device now. The old token no longer works.
          </p>
          <span className="secret" data-testid="new-device-token">
            {token}
          </span>
        </div>
      ) : null}
    </section>
  );
}
