import { useEffect, useMemo, useState } from 'react';
import { devices as devicesApi, deviceTypes as deviceTypesApi } from '../api/endpoints.js';
import { useMe } from '../api/session.js';
import type { Asset, BulkOutcome, DeviceQuery, Site } from '../api/types.js';
import { Badge, Empty, ErrorBox } from '../components/ui.js';
import { assetPath, isOnline, siteIdOfAsset } from '../lib/fleet.js';
import { can } from '../lib/permissions.js';
import { formatAgo } from '../lib/time.js';
import { useResource } from '../lib/use-resource.js';
import { useNow } from '../live/context.js';
import { href } from '../router.js';
import { type BulkAction, BulkSummary, FleetBulkBar } from './FleetBulkBar.js';

type Sort = NonNullable<DeviceQuery['sort']>;
type Status = NonNullable<DeviceQuery['status']>;
const PAGE = 50;
/** Typing settles before the server is asked: one query per pause, not per key. */
const SEARCH_DEBOUNCE_MS = 150;

const COLUMNS: { label: string; sort?: Sort }[] = [
  { label: 'Name', sort: 'name' },
  { label: 'Id', sort: 'id' },
  { label: 'Type', sort: 'type' },
  { label: 'Status' },
  { label: 'Placed at' },
  { label: 'Site' },
  { label: 'Last seen' },
  { label: 'Added', sort: 'created' },
];

/**
 * The fleet as a table (#21): the server sorts, filters, counts and pages (keyset, 50 rows), so
 * 10,000 devices cost one page; the browser keeps the cursors of the pages before for "Previous".
 */
export function FleetTable({ sites, assets }: { sites: Site[]; assets: Asset[] }) {
  const me = useMe();
  const now = useNow();
  const [status, setStatus] = useState<Status>('all');
  const [siteId, setSiteId] = useState('');
  const [deviceType, setDeviceType] = useState('');
  const [search, setSearch] = useState('');
  const [q, setQ] = useState('');
  const [sort, setSort] = useState<{ key: Sort; dir: 'asc' | 'desc' }>({ key: 'name', dir: 'asc' });
  // paging.cursors[i] opens page i (page 0: none); another filter or sort starts over at page 0
  const [paging, setPaging] = useState<{ key: string; cursors: (string | undefined)[] }>({
    key: '',
    cursors: [undefined],
  });
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [outcome, setOutcome] = useState<{ action: BulkAction; result: BulkOutcome } | null>(null);

  useEffect(() => {
    const t = setTimeout(() => setQ(search.trim()), SEARCH_DEBOUNCE_MS);
    return () => clearTimeout(t);
  }, [search]);
  const filterKey = `${status}|${siteId}|${deviceType}|${q}|${sort.key}|${sort.dir}`;
  const cursors = paging.key === filterKey ? paging.cursors : [undefined];
  const setCursors = (fn: (c: (string | undefined)[]) => (string | undefined)[]) =>
    setPaging({ key: filterKey, cursors: fn(cursors) });
  // biome-ignore lint/correctness/useExhaustiveDependencies: filterKey names every filter
  useEffect(() => setSelected(new Set()), [filterKey]);

  const cursor = cursors[cursors.length - 1];
  const index = cursors.length - 1;
  const page = useResource(
    async (signal) => ({
      // the page this answer is: the counts shown stay those of the rows shown while the next loads
      index,
      ...(await devicesApi.page(
        {
          status,
          siteId: siteId || undefined,
          deviceType: deviceType || undefined,
          q: q || undefined,
          sort: sort.key,
          dir: sort.dir,
          limit: PAGE,
          cursor,
          count: true,
        },
        signal,
      )),
    }),
    [filterKey, cursor],
  );
  const types = useResource(async (signal) => {
    try {
      return (await deviceTypesApi.list(undefined, signal)).map((t) => t.name);
    } catch {
      return [] as string[]; // a platform admin without a tenant: the filter stays free of types
    }
  }, []);

  const assetsById = useMemo(() => new Map(assets.map((a) => [a.id, a])), [assets]);
  const siteName = useMemo(() => new Map(sites.map((s) => [s.id, s.name])), [sites]);
  const items = page.data?.items ?? [];
  const total = page.data?.total;
  const first = (page.data?.index ?? 0) * PAGE;
  const canEdit = can(me.role, 'devices:write');

  const toggleSort = (key: Sort) => setSort((s) => ({ key, dir: s.key === key && s.dir === 'asc' ? 'desc' : 'asc' }));
  const toggle = (id: string) =>
    setSelected((s) => {
      const next = new Set(s);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  const allOnPage = items.length > 0 && items.every((d) => selected.has(d.id));

  return (
    <section aria-labelledby="fleet-table-h">
      <h2 id="fleet-table-h" className="visually-hidden">
        Devices table
      </h2>
      <search className="inline-form panel">
        <div className="field">
          <label htmlFor="ft-status">Status</label>
          <select id="ft-status" value={status} onChange={(e) => setStatus(e.target.value as Status)}>
            <option value="all">All</option>
            <option value="online">Online</option>
            <option value="offline">Offline</option>
            <option value="unbound">Not placed</option>
            {can(me.role, 'devices:admin') && me.tenantId === null ? <option value="pending">Pending</option> : null}
          </select>
        </div>
        <div className="field">
          <label htmlFor="ft-site">Site</label>
          <select id="ft-site" value={siteId} onChange={(e) => setSiteId(e.target.value)}>
            <option value="">All sites</option>
            {sites.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="ft-type">Type</label>
          <select id="ft-type" value={deviceType} onChange={(e) => setDeviceType(e.target.value)}>
            <option value="">All types</option>
            {(types.data ?? []).map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="ft-search">Find a device</label>
          <input
            id="ft-search"
            type="search"
            placeholder="Name, id or MAC"
            value={search}
            onChange={(e) => setSearch(e.target.value)}
          />
        </div>
      </search>
      <ErrorBox error={page.error} onRetry={page.reload} />
      {canEdit && selected.size > 0 ? (
        <FleetBulkBar
          selected={[...selected]}
          assets={assets}
          sites={sites}
          onDone={(done) => {
            setOutcome(done);
            setSelected(new Set());
            page.reload();
          }}
        />
      ) : null}
      {outcome ? <BulkSummary {...outcome} /> : null}
      <p className="muted" aria-live="polite" data-fleet-total={total ?? ''} data-fleet-loading={page.loading}>
        {total === undefined
          ? 'Loading devices…'
          : total === 0
            ? 'No device matches'
            : `${first + 1}–${first + items.length} of ${total.toLocaleString('en')}${page.data?.totalExact === false ? '+' : ''} devices`}
      </p>
      {page.data && items.length === 0 ? (
        <Empty title="No device matches">
          <p>Clear the search or pick another status, site or type.</p>
        </Empty>
      ) : null}
      {items.length > 0 ? (
        <div className="table-wrap">
          <table aria-describedby="fleet-table-h" aria-busy={page.loading}>
            <thead>
              <tr>
                {canEdit ? (
                  <th scope="col">
                    <input
                      type="checkbox"
                      aria-label="Select every device on this page"
                      checked={allOnPage}
                      onChange={() =>
                        setSelected(allOnPage ? new Set() : new Set([...selected, ...items.map((d) => d.id)]))
                      }
                    />
                  </th>
                ) : null}
                {COLUMNS.map((c) => (
                  <th
                    key={c.label}
                    scope="col"
                    aria-sort={
                      c.sort && c.sort === sort.key ? (sort.dir === 'asc' ? 'ascending' : 'descending') : undefined
                    }
                  >
                    {c.sort ? (
                      <button type="button" className="sort" onClick={() => toggleSort(c.sort as Sort)}>
                        {c.label}
                        {c.sort === sort.key ? (sort.dir === 'asc' ? ' ▲' : ' ▼') : ''}
                      </button>
                    ) : (
                      c.label
                    )}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {items.map((d) => {
                const sid = siteIdOfAsset(assetsById, d.assetId);
                return (
                  <tr key={d.id} data-fleet-row={d.id}>
                    {canEdit ? (
                      <td>
                        <input
                          type="checkbox"
                          aria-label={`Select ${d.name || d.id}`}
                          checked={selected.has(d.id)}
                          onChange={() => toggle(d.id)}
                        />
                      </td>
                    ) : null}
                    <td>
                      <a href={href(`/devices/${encodeURIComponent(d.id)}`)}>{d.name || d.id}</a>
                    </td>
                    <td className="muted">{d.id}</td>
                    <td>{d.deviceType}</td>
                    <td>
                      <Badge value={d.state !== 'active' ? d.state : isOnline(d, now) ? 'online' : 'offline'} />
                    </td>
                    <td>{assetPath(assetsById, d.assetId) || '—'}</td>
                    <td>{sid ? (siteName.get(sid) ?? '—') : '—'}</td>
                    <td>{formatAgo(d.lastSeen, now)}</td>
                    <td>{new Date(d.createdAt).toLocaleDateString('en-GB')}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      ) : null}
      <nav className="row" aria-label="Pages">
        <button type="button" disabled={cursors.length === 1} onClick={() => setCursors((c) => c.slice(0, -1))}>
          Previous page
        </button>
        <span className="muted">Page {cursors.length}</span>
        <button
          type="button"
          disabled={!page.data?.nextCursor || page.loading}
          onClick={() => {
            const next = page.data?.nextCursor ?? undefined;
            if (next) setCursors((c) => [...c, next]);
          }}
        >
          Next page
        </button>
      </nav>
    </section>
  );
}
