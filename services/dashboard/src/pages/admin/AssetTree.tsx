import { useState } from 'react';
import { assets as assetsApi } from '../../api/endpoints.js';
import type { Asset } from '../../api/types.js';
import { ErrorBox } from '../../components/ui.js';
import { ApiError } from '../../lib/problem.js';
import { useAction } from '../../lib/use-resource.js';

const small = { minHeight: 0, padding: '0 0.4rem' } as const;

/** The ids of `id` and everything under it (an asset cannot move into its own subtree). */
export function subtreeIds(assets: Asset[], id: string): Set<string> {
  const ids = new Set([id]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const a of assets) {
      if (!ids.has(a.id) && a.parentId && ids.has(a.parentId)) {
        ids.add(a.id);
        grew = true;
      }
    }
  }
  return ids;
}

/**
 * A site's asset tree with each asset's actions: rename, move (choose another parent within the
 * site), delete. The server refuses to delete an asset that is not empty and says what is in it;
 * the tree then offers the explicit delete with everything under it.
 */
export function AssetTree({
  siteName,
  assets,
  onChanged,
  onRemoved,
}: {
  siteName: string;
  /** The site's assets, any depth. */
  assets: Asset[];
  onChanged: (a: Asset) => void;
  onRemoved: (ids: Set<string>) => void;
}) {
  const [editing, setEditing] = useState<string | null>(null);
  const [refused, setRefused] = useState<Asset | null>(null);
  const remove = useAction(async (a: Asset, cascade: boolean) => {
    setRefused(null);
    try {
      await assetsApi.remove(a.id, { cascade });
    } catch (err) {
      if (err instanceof ApiError && err.status === 409 && !cascade) setRefused(a);
      throw err;
    }
    onRemoved(subtreeIds(assets, a.id));
  });
  const roots = assets.filter((a) => !a.parentId || !assets.some((m) => m.id === a.parentId));
  const children = (id: string) => assets.filter((a) => a.parentId === id);
  const renderTree = (list: Asset[]) => (
    <ul className="asset-tree">
      {list.map((a) => (
        <li key={a.id}>
          <span>
            {a.name} <span className="muted">({a.type})</span>
          </span>{' '}
          <button
            type="button"
            onClick={() => setEditing(editing === a.id ? null : a.id)}
            aria-expanded={editing === a.id}
            aria-label={`Edit ${a.name}`}
            style={small}
          >
            Edit
          </button>{' '}
          <button
            type="button"
            className="danger"
            onClick={() => void remove.run(a, false)}
            aria-label={`Delete ${a.name}`}
            style={small}
          >
            Delete
          </button>
          {editing === a.id ? (
            <EditAsset
              asset={a}
              siteName={siteName}
              candidates={assets.filter((c) => !subtreeIds(assets, a.id).has(c.id))}
              onSaved={(saved) => {
                onChanged(saved);
                setEditing(null);
              }}
            />
          ) : null}
          {children(a.id).length ? renderTree(children(a.id)) : null}
        </li>
      ))}
    </ul>
  );
  return (
    <>
      {roots.length ? renderTree(roots) : <p className="muted">No assets yet: add the first one below.</p>}
      <ErrorBox error={remove.error} />
      {refused ? (
        <p>
          <button type="button" className="danger" onClick={() => void remove.run(refused, true)}>
            Delete {refused.name} and everything under it
          </button>{' '}
          <button type="button" onClick={() => setRefused(null)}>
            Keep it
          </button>
        </p>
      ) : null}
    </>
  );
}

function EditAsset({
  asset,
  siteName,
  candidates,
  onSaved,
}: {
  asset: Asset;
  siteName: string;
  candidates: Asset[];
  onSaved: (a: Asset) => void;
}) {
  const [name, setName] = useState(asset.name);
  const [parentId, setParentId] = useState(asset.parentId ?? '');
  const save = useAction(async () => {
    const patch: { name?: string; parentId?: string | null } = {};
    if (name.trim() !== asset.name) patch.name = name.trim();
    if ((parentId || null) !== asset.parentId) patch.parentId = parentId || null;
    onSaved(Object.keys(patch).length ? await assetsApi.update(asset.id, patch) : asset);
  });
  const prefix = `asset-${asset.id}`;
  return (
    <form
      className="inline-form"
      aria-label={`Edit ${asset.name}`}
      onSubmit={(e) => {
        e.preventDefault();
        if (name.trim()) void save.run();
      }}
    >
      <div className="field">
        <label htmlFor={`${prefix}-name`}>Name</label>
        <input id={`${prefix}-name`} required value={name} onChange={(e) => setName(e.target.value)} />
      </div>
      <div className="field">
        <label htmlFor={`${prefix}-parent`}>Move into</label>
        <select id={`${prefix}-parent`} value={parentId} onChange={(e) => setParentId(e.target.value)}>
          <option value="">{siteName} (top level)</option>
          {candidates.map((c) => (
            <option key={c.id} value={c.id}>
              {c.name} ({c.type})
            </option>
          ))}
        </select>
      </div>
      <button type="submit" disabled={save.pending || !name.trim()}>
        Save asset
      </button>
      <ErrorBox error={save.error} />
    </form>
  );
}
