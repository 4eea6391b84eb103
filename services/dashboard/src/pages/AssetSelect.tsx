import { useMemo } from 'react';
import type { Asset, Site } from '../api/types.js';
import { assetPath, siteIdOfAsset } from '../lib/fleet.js';

/** Where a device can go: every asset, grouped by its site, named by its path (not its id). */
export function AssetSelect({
  id,
  label,
  assets,
  sites,
  value,
  onChange,
  tenantId,
}: {
  id: string;
  label: string;
  assets: Asset[];
  sites: Site[];
  value: string;
  onChange: (assetId: string) => void;
  /** Only this tenant's assets (a platform admin sees every tenant's). */
  tenantId?: string | null;
}) {
  const byId = useMemo(() => new Map(assets.map((a) => [a.id, a])), [assets]);
  const groups = useMemo(() => {
    const mine = assets.filter((a) => !tenantId || a.tenantId === tenantId);
    const bySite = [...sites, null].map((s) => ({
      site: s,
      assets: mine
        .filter((a) => siteIdOfAsset(byId, a.id) === (s?.id ?? null))
        .sort((x, y) => assetPath(byId, x.id).localeCompare(assetPath(byId, y.id))),
    }));
    return bySite.filter((g) => g.assets.length > 0);
  }, [assets, sites, byId, tenantId]);
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">Choose an asset…</option>
        {groups.map((g) => (
          <optgroup key={g.site?.id ?? 'none'} label={g.site?.name ?? 'Not at a site'}>
            {g.assets.map((a) => (
              <option key={a.id} value={a.id}>
                {assetPath(byId, a.id)}
              </option>
            ))}
          </optgroup>
        ))}
      </select>
    </div>
  );
}
