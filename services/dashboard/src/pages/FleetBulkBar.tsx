import { useState } from 'react';
import { devices as devicesApi } from '../api/endpoints.js';
import { useMe } from '../api/session.js';
import type { Asset, BulkOutcome, Site } from '../api/types.js';
import { ErrorBox } from '../components/ui.js';
import { can } from '../lib/permissions.js';
import { useAction } from '../lib/use-resource.js';
import { AssetSelect } from './AssetSelect.js';

export type BulkAction = 'move' | 'unbind' | 'revoke' | 'delete';
const DONE: Record<BulkAction, string> = { move: 'Moved', unbind: 'Unplaced', revoke: 'Revoked', delete: 'Deleted' };

/**
 * What the selected rows of the fleet table can have done to them, per role (the server checks
 * again): managers move and unplace, admins also revoke and delete. Each device succeeds or is
 * refused on its own, and the refusals are listed.
 */
export function FleetBulkBar({
  selected,
  assets,
  sites,
  onDone,
}: {
  selected: string[];
  assets: Asset[];
  sites: Site[];
  /** The action ran: the table clears the selection, reloads and shows `BulkSummary` of it. */
  onDone: (outcome: { action: BulkAction; result: BulkOutcome }) => void;
}) {
  const me = useMe();
  const [assetId, setAssetId] = useState('');
  const run = useAction(async (action: BulkAction) => {
    const n = selected.length;
    if (
      (action === 'revoke' || action === 'delete') &&
      !window.confirm(`${action} ${n} device(s)? This cannot be undone.`)
    )
      return;
    const result = await devicesApi.bulk({ action, deviceIds: selected, ...(action === 'move' ? { assetId } : {}) });
    onDone({ action, result });
  });
  const admin = can(me.role, 'devices:admin');
  return (
    <section className="panel bulk-bar" aria-label="Selected devices">
      <div className="inline-form">
        <strong>{selected.length} selected</strong>
        <AssetSelect
          id="bulk-asset"
          label="Move to"
          assets={assets}
          sites={sites}
          value={assetId}
          onChange={setAssetId}
        />
        <button type="button" disabled={!assetId || run.pending} onClick={() => void run.run('move')}>
          Move
        </button>
        <button type="button" disabled={run.pending} onClick={() => void run.run('unbind')}>
          Unplace
        </button>
        {admin ? (
          <>
            <button type="button" className="danger" disabled={run.pending} onClick={() => void run.run('revoke')}>
              Revoke
            </button>
            <button type="button" className="danger" disabled={run.pending} onClick={() => void run.run('delete')}>
              Delete
            </button>
          </>
        ) : null}
      </div>
      <ErrorBox error={run.error} />
    </section>
  );
}

/** What a bulk action did: how many devices it changed, and each refusal with its reason. */
export function BulkSummary({ action, result }: { action: BulkAction; result: BulkOutcome }) {
  const refused = result.results.filter((r) => !r.ok);
  return (
    <div role="status" data-bulk-outcome={action}>
      <p style={{ marginBottom: 0 }}>
        {DONE[action]} {result.succeeded} device(s){refused.length ? `; ${refused.length} refused:` : '.'}
      </p>
      {refused.length ? (
        <ul>
          {refused.map((r) => (
            <li key={r.deviceId}>
              {r.deviceId}: {r.message}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
