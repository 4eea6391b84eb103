import { type FormEvent, useMemo, useState } from 'react';
import { assets as assetsApi, sites as sitesApi } from '../../api/endpoints.js';
import type { Asset, Site } from '../../api/types.js';
import { useWorkingTenant } from '../../components/TenantPicker.js';
import { Empty, ErrorBox, Field, Loading } from '../../components/ui.js';
import { browserTimeZone, isValidTimeZone } from '../../lib/time.js';
import { useAction, useResource } from '../../lib/use-resource.js';
import { AssetTree, subtreeIds } from './AssetTree.js';

const ASSET_TYPES = ['floor', 'pantry', 'dispenser', 'outlet', 'machine', 'line', 'meter', 'room'];

/** Sites (each with its time zone) and the typed asset tree under them. */
export function SitesAdminPage() {
  const working = useWorkingTenant();
  const data = useResource(async () => {
    const q = { tenantId: working.tenantId };
    const [sites, assets] = await Promise.all([sitesApi.list(q), assetsApi.list(q)]);
    return { sites, assets };
  }, [working.tenantId]);

  return (
    <>
      <h1>Sites and assets</h1>
      {working.picker}
      <NewSite
        tenantId={working.tenantId}
        onCreated={(s) => data.mutate((d) => d && { ...d, sites: [...d.sites, s] })}
      />
      <ErrorBox error={data.error} onRetry={data.reload} />
      {data.loading && !data.data ? <Loading /> : null}
      {data.data && data.data.sites.length === 0 ? (
        <Empty title="No sites yet">
          <p>Create a site above (a building, an outlet, a plant), then add its floors, lines or machines.</p>
        </Empty>
      ) : null}
      {data.data?.sites.map((s) => (
        <SitePanel
          key={s.id}
          site={s}
          assets={data.data?.assets ?? []}
          onAsset={(a) =>
            data.mutate(
              (d) =>
                d && {
                  ...d,
                  assets: d.assets.some((x) => x.id === a.id)
                    ? d.assets.map((x) => (x.id === a.id ? a : x))
                    : [...d.assets, a],
                },
            )
          }
          onRemoveAssets={(ids) => data.mutate((d) => d && { ...d, assets: d.assets.filter((a) => !ids.has(a.id)) })}
          onSite={(site) => data.mutate((d) => d && { ...d, sites: d.sites.map((x) => (x.id === site.id ? site : x)) })}
          onRemoveSite={() => data.mutate((d) => d && { ...d, sites: d.sites.filter((x) => x.id !== s.id) })}
        />
      ))}
    </>
  );
}

function NewSite({ tenantId, onCreated }: { tenantId: string | undefined; onCreated: (s: Site) => void }) {
  const [name, setName] = useState('');
  const [timezone, setTimezone] = useState(browserTimeZone());
  const [address, setAddress] = useState('');
  const create = useAction(async () => {
    const s = await sitesApi.create({
      name: name.trim(),
      timezone: timezone.trim(),
      address: address.trim(),
      tenantId,
    });
    onCreated(s);
    setName('');
    setAddress('');
  });
  const tzInvalid = timezone.trim() !== '' && !isValidTimeZone(timezone.trim());
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!tzInvalid) void create.run();
  };
  return (
    <section className="panel" aria-labelledby="new-site-h">
      <h2 id="new-site-h" style={{ marginTop: 0 }}>
        Add a site
      </h2>
      <form className="inline-form" onSubmit={submit} noValidate>
        <Field label="Site name" name="name" error={create.error}>
          {(p) => <input {...p} required value={name} onChange={(e) => setName(e.target.value)} />}
        </Field>
        <div className="field">
          <label htmlFor="site-tz">Time zone</label>
          <input
            id="site-tz"
            list="tz-list"
            value={timezone}
            aria-invalid={tzInvalid}
            aria-describedby="site-tz-hint"
            onChange={(e) => setTimezone(e.target.value)}
          />
          <span className="hint" id="site-tz-hint">
            {tzInvalid ? 'Not a known IANA time zone, e.g. Europe/Berlin.' : 'Charts and day totals use it.'}
          </span>
          <datalist id="tz-list">
            {(Intl as unknown as { supportedValuesOf?: (k: string) => string[] })
              .supportedValuesOf?.('timeZone')
              .map((z) => (
                <option key={z} value={z} />
              ))}
          </datalist>
        </div>
        <Field label="Address" name="address" error={create.error} hint="Optional.">
          {(p) => <input {...p} value={address} onChange={(e) => setAddress(e.target.value)} />}
        </Field>
        <button className="primary" type="submit" disabled={create.pending || !name.trim() || tzInvalid}>
          Add site
        </button>
      </form>
      <ErrorBox error={create.error} />
    </section>
  );
}

function SitePanel({
  site,
  assets,
  onAsset,
  onRemoveAssets,
  onSite,
  onRemoveSite,
}: {
  site: Site;
  assets: Asset[];
  onAsset: (a: Asset) => void;
  onRemoveAssets: (ids: Set<string>) => void;
  onSite: (s: Site) => void;
  onRemoveSite: () => void;
}) {
  const mine = useMemo(() => {
    // the site's assets: placed at the site, plus their descendants
    const ids = new Set<string>();
    for (const a of assets) if (a.siteId === site.id) for (const id of subtreeIds(assets, a.id)) ids.add(id);
    return assets.filter((a) => ids.has(a.id));
  }, [assets, site.id]);
  const [name, setName] = useState('');
  const [type, setType] = useState('machine');
  const [parentId, setParentId] = useState('');
  const [editing, setEditing] = useState(false);
  const create = useAction(async () => {
    const a = await assetsApi.create({
      name: name.trim(),
      type,
      siteId: site.id,
      parentId: parentId || null,
      tenantId: site.tenantId,
    });
    onAsset(a);
    setName('');
  });
  const removeSite = useAction(async () => {
    await sitesApi.remove(site.id);
    onRemoveSite();
  });
  const prefix = `site-${site.id}`;
  return (
    <section className="panel" aria-labelledby={`${prefix}-h`}>
      <h2 id={`${prefix}-h`} style={{ marginTop: 0 }}>
        {site.name}{' '}
        <span className="muted" style={{ fontWeight: 400 }}>
          · {site.timezone}
        </span>
      </h2>
      {site.address ? <p className="muted">{site.address}</p> : null}
      <p>
        <button type="button" aria-expanded={editing} onClick={() => setEditing((e) => !e)}>
          Edit site
        </button>{' '}
        <button type="button" className="danger" onClick={() => void removeSite.run()}>
          Delete site
        </button>
      </p>
      <ErrorBox error={removeSite.error} />
      {editing ? (
        <EditSite
          site={site}
          onSaved={(s) => {
            onSite(s);
            setEditing(false);
          }}
        />
      ) : null}
      <AssetTree siteName={site.name} assets={mine} onChanged={onAsset} onRemoved={onRemoveAssets} />
      <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          void create.run();
        }}
      >
        <div className="field">
          <label htmlFor={`${prefix}-name`}>New asset name</label>
          <input id={`${prefix}-name`} required value={name} onChange={(e) => setName(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor={`${prefix}-type`}>Type</label>
          <input
            id={`${prefix}-type`}
            list={`${prefix}-types`}
            value={type}
            onChange={(e) => setType(e.target.value.toLowerCase())}
          />
          <datalist id={`${prefix}-types`}>
            {ASSET_TYPES.map((t) => (
              <option key={t} value={t} />
            ))}
          </datalist>
        </div>
        <div className="field">
          <label htmlFor={`${prefix}-parent`}>Inside</label>
          <select id={`${prefix}-parent`} value={parentId} onChange={(e) => setParentId(e.target.value)}>
            <option value="">{site.name} (top level)</option>
            {mine.map((a) => (
              <option key={a.id} value={a.id}>
                {a.name} ({a.type})
              </option>
            ))}
          </select>
        </div>
        <button type="submit" disabled={create.pending || !name.trim()}>
          Add asset
        </button>
      </form>
      <ErrorBox error={create.error} />
    </section>
  );
}

function EditSite({ site, onSaved }: { site: Site; onSaved: (s: Site) => void }) {
  const [name, setName] = useState(site.name);
  const [timezone, setTimezone] = useState(site.timezone);
  const [address, setAddress] = useState(site.address);
  const save = useAction(async () =>
    onSaved(await sitesApi.update(site.id, { name: name.trim(), timezone: timezone.trim(), address: address.trim() })),
  );
  const tzInvalid = !isValidTimeZone(timezone.trim());
  return (
    <form
      className="inline-form"
      aria-label={`Edit ${site.name}`}
      onSubmit={(e) => {
        e.preventDefault();
        if (name.trim() && !tzInvalid) void save.run();
      }}
      noValidate
    >
      <Field label="Site name" name="name" error={save.error}>
        {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} />}
      </Field>
      <Field
        label="Time zone"
        name="timezone"
        error={save.error}
        hint={tzInvalid ? 'Not a known IANA time zone.' : undefined}
      >
        {(p) => <input {...p} value={timezone} onChange={(e) => setTimezone(e.target.value)} />}
      </Field>
      <Field label="Address" name="address" error={save.error}>
        {(p) => <input {...p} value={address} onChange={(e) => setAddress(e.target.value)} />}
      </Field>
      <button type="submit" disabled={save.pending || !name.trim() || tzInvalid}>
        Save site
      </button>
      <ErrorBox error={save.error} />
    </form>
  );
}
