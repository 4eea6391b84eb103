import { useEffect, useMemo, useState } from 'react';
import {
  alerts as alertsApi,
  assets as assetsApi,
  devices as devicesApi,
  rejections as rejectionsApi,
  sites as sitesApi,
} from '../api/endpoints.js';
import { useMe } from '../api/session.js';
import type { Alert, Asset, Device, Site } from '../api/types.js';
import { Badge, Empty, ErrorBox, formatValue, Loading } from '../components/ui.js';
import { applyAlertChange, applyTelemetry, assetPath, groupBySite, isOnline } from '../lib/fleet.js';
import { can } from '../lib/permissions.js';
import { formatAgo } from '../lib/time.js';
import { type Resource, useResource } from '../lib/use-resource.js';
import { useLive, useNow } from '../live/context.js';
import { useWatchAll } from '../live/watch-all.js';
import { href, navigate, useLocation } from '../router.js';
import { FleetTable } from './FleetTable.js';

/** The cards show one page of the fleet; beyond it the table pages on the server (#21). */
const CARDS_MAX = 500;

/** Fleet overview: cards by site with live values and alerts, or the table of the whole fleet (`?view=table`). */
export function FleetPage() {
  const table = useLocation().query.get('view') === 'table';
  const base = useResource(async () => {
    const [sites, assets] = await Promise.all([sitesApi.list(), assetsApi.list()]);
    return { sites, assets };
  }, []);
  return (
    <>
      <div className="topbar">
        <h1>Fleet</h1>
        <fieldset className="segmented" aria-label="View">
          <button type="button" aria-pressed={!table} onClick={() => navigate('/')}>
            Cards
          </button>
          <button type="button" aria-pressed={table} onClick={() => navigate('/?view=table')}>
            Table
          </button>
        </fieldset>
      </div>
      <ErrorBox error={base.error} onRetry={base.reload} />
      {table ? (
        <FleetTable sites={base.data?.sites ?? []} assets={base.data?.assets ?? []} />
      ) : (
        <FleetCards base={base} />
      )}
    </>
  );
}

function FleetCards({ base }: { base: Resource<{ sites: Site[]; assets: Asset[] }> }) {
  const me = useMe();
  const live = useLive();
  const now = useNow();
  const [siteFilter, setSiteFilter] = useState('');
  const [search, setSearch] = useState('');

  const devs = useResource(
    async (signal) => devicesApi.page({ state: 'active', sort: 'name', limit: CARDS_MAX, count: true }, signal),
    [],
  );
  // devices that send invalid data are flagged (#14); a platform admin without a tenant gets none
  const rejected = useResource(async (signal) => {
    try {
      return new Map((await rejectionsApi.summary(signal)).byDevice.map((r) => [r.deviceId, r.count] as const));
    } catch {
      return new Map<string, number>();
    }
  }, []);
  const open = useResource(async (signal) => (await alertsApi.list({ state: 'active' }, signal)).items, []);

  // Live: the tenant room carries every device's readings, presence and alerts.
  useWatchAll();

  const { mutate: mutateDevs, reload: reloadDevs } = devs;
  const list = useMemo(() => devs.data?.items ?? [], [devs.data]);
  const { mutate: mutateAlerts, reload: reloadAlerts } = open;
  useEffect(() => {
    const offs = [
      live.on('telemetry', (m) =>
        mutateDevs((p) => p && { ...p, items: p.items.map((d) => (d.id === m.deviceId ? applyTelemetry(d, m) : d)) }),
      ),
      live.on('presence', (m) =>
        mutateDevs(
          (p) =>
            p && {
              ...p,
              items: p.items.map((d) => (d.id === m.deviceId ? { ...d, online: m.status === 'online' } : d)),
            },
        ),
      ),
      live.on('alert', (m) => mutateAlerts((list) => applyAlertChange(list ?? [], m.alert))),
      live.on('resync', () => {
        reloadDevs();
        reloadAlerts();
      }),
    ];
    return () => {
      for (const off of offs) off();
    };
  }, [live, mutateDevs, mutateAlerts, reloadDevs, reloadAlerts]);

  const openByDevice = useMemo(() => {
    const m = new Map<string, Alert[]>();
    for (const a of open.data ?? []) {
      if (a.state === 'resolved' || !a.deviceId) continue;
      m.set(a.deviceId, [...(m.get(a.deviceId) ?? []), a]);
    }
    return m;
  }, [open.data]);

  const assetsById = useMemo(() => new Map((base.data?.assets ?? []).map((a) => [a.id, a])), [base.data]);
  const filtered = useMemo(() => {
    const q = search.trim().toLowerCase();
    return list.filter(
      (d) =>
        !q ||
        d.id.toLowerCase().includes(q) ||
        d.name.toLowerCase().includes(q) ||
        assetPath(assetsById, d.assetId).toLowerCase().includes(q),
    );
  }, [list, search, assetsById]);
  const groups = useMemo(
    () =>
      groupBySite(base.data?.sites ?? [], base.data?.assets ?? [], filtered).filter(
        (g) => !siteFilter || (g.site?.id ?? 'none') === siteFilter,
      ),
    [base.data, filtered, siteFilter],
  );

  const onlineCount = list.filter((d) => isOnline(d, now)).length;
  const openCount = (open.data ?? []).filter((a) => a.state !== 'resolved').length;

  return (
    <>
      <p className="muted" aria-live="polite">
        {devs.data ? `${onlineCount} of ${list.length} devices online · ${openCount} open alerts` : ''}
      </p>
      <search className="inline-form panel">
        <div className="field">
          <label htmlFor="fleet-site">Site</label>
          <select id="fleet-site" value={siteFilter} onChange={(e) => setSiteFilter(e.target.value)}>
            <option value="">All sites</option>
            {(base.data?.sites ?? []).map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
            <option value="none">Not placed at a site</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="fleet-search">Find a device</label>
          <input
            id="fleet-search"
            type="search"
            placeholder="Name, id or place"
            value={search}
            onChange={(e) => setSearch(e.target.value)}
          />
        </div>
      </search>
      <ErrorBox
        error={devs.error ?? open.error}
        onRetry={() => {
          base.reload();
          devs.reload();
          open.reload();
        }}
      />
      {devs.loading && !devs.data ? <Loading label="Loading devices…" /> : null}
      {devs.data && list.length === 0 ? (
        <Empty title="No devices yet">
          <p>
            Devices appear here once they have said hello (handshake) and been assigned.{' '}
            {can(me.role, 'devices:write') ? (
              <>
                Assign waiting devices in <a href={href('/admin/devices')}>Devices</a>.
              </>
            ) : (
              'Ask a manager to assign devices to your sites.'
            )}
          </p>
        </Empty>
      ) : null}
      {devs.data?.nextCursor ? (
        <p className="notice" data-cards-capped>
          Showing the first {list.length} of {devs.data.total?.toLocaleString('en')} devices as cards.{' '}
          <a href={href('/?view=table')}>The table</a> sorts, filters and pages through all of them.
        </p>
      ) : null}
      {devs.data && list.length > 0 && groups.length === 0 ? (
        <Empty title="No device matches">
          <p>Clear the search or pick another site.</p>
        </Empty>
      ) : null}
      {groups.map((g) => (
        <section key={g.site?.id ?? 'none'} aria-labelledby={`site-${g.site?.id ?? 'none'}`}>
          <h2 id={`site-${g.site?.id ?? 'none'}`}>
            {g.site ? g.site.name : 'Not placed at a site'}{' '}
            <span className="muted" style={{ fontWeight: 400, fontSize: '0.85rem' }}>
              {g.devices.filter((d) => isOnline(d, now)).length}/{g.devices.length} online
              {g.site ? ` · ${g.site.timezone}` : ''}
            </span>
          </h2>
          <ul className="grid cards">
            {g.devices.map((d) => (
              <DeviceCard
                key={d.id}
                device={d}
                place={assetPath(assetsById, d.assetId)}
                alerts={openByDevice.get(d.id) ?? []}
                rejected={rejected.data?.get(d.id) ?? 0}
                now={now}
              />
            ))}
          </ul>
        </section>
      ))}
    </>
  );
}

function DeviceCard({
  device: d,
  place,
  alerts,
  rejected,
  now,
}: {
  device: Device;
  place: string;
  alerts: Alert[];
  /** Rejected messages of the last 24 h. */
  rejected: number;
  now: number;
}) {
  const online = isOnline(d, now);
  const metrics = Object.entries(d.latest)
    .sort(([a], [b]) => a.localeCompare(b))
    .slice(0, 6);
  const worst = alerts.some((a) => a.severity === 'critical') ? 'critical' : alerts.length ? 'warning' : null;
  return (
    <li className="card" data-device-id={d.id}>
      <div className="row spread">
        <a className="title" href={href(`/devices/${encodeURIComponent(d.id)}`)}>
          {d.name || d.id}
        </a>
        <Badge value={online ? 'online' : 'offline'} />
      </div>
      {place ? <div className="muted">{place}</div> : null}
      {metrics.length === 0 ? <span className="muted">No readings yet</span> : null}
      <dl className="metrics">
        {metrics.map(([name, lv]) => (
          <div key={name} className="row" style={{ gap: '0.3rem' }}>
            <dt className="muted">{name}</dt>
            <dd style={{ margin: 0 }} data-metric={name}>
              {formatValue(lv.v)}
            </dd>
          </div>
        ))}
      </dl>
      <div className="row spread muted" style={{ fontSize: '0.85rem' }}>
        <span>Last seen {formatAgo(d.lastSeen, now)}</span>
        {rejected > 0 ? (
          <a href={href(`/devices/${encodeURIComponent(d.id)}`)} data-invalid-data={rejected}>
            <Badge value="warning" label={`sends invalid data: ${rejected} rejected (24 h)`} />
          </a>
        ) : null}
        {worst ? (
          <a href={href(`/alerts?device=${encodeURIComponent(d.id)}`)}>
            <Badge value={worst} label={`${alerts.length} open alert${alerts.length > 1 ? 's' : ''}`} />
          </a>
        ) : null}
      </div>
    </li>
  );
}
