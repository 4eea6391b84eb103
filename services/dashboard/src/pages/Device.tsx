import { useEffect, useMemo, useState } from 'react';
import {
  alerts as alertsApi,
  assets as assetsApi,
  devices as devicesApi,
  deviceTypes as deviceTypesApi,
  sites as sitesApi,
} from '../api/endpoints.js';
import type { DeviceEvent } from '../api/types.js';
import { DeviceChart } from '../components/DeviceChart.js';
import { Badge, Empty, ErrorBox, formatValue, Loading } from '../components/ui.js';
import { applyAlertChange, applyTelemetry, assetPath, isOnline, siteIdOfAsset } from '../lib/fleet.js';
import { formatMetricValue, metricLookup } from '../lib/metrics.js';
import { browserTimeZone, formatAgo, formatTs } from '../lib/time.js';
import { useAction, useResource } from '../lib/use-resource.js';
import { useLive, useNow, useSubscriptions } from '../live/context.js';
import { href } from '../router.js';
import { DeviceActions } from './DeviceActions.js';
import { DeviceCommands } from './DeviceCommands.js';
import { DeviceRejections } from './DeviceRejections.js';
import { DeviceShadow } from './DeviceShadow.js';

/** One device or machine: live values, history chart, events, alerts. */
export function DevicePage({ id }: { id: string }) {
  const live = useLive();
  const now = useNow();
  const device = useResource((signal) => devicesApi.get(id, signal), [id]);
  const place = useResource(async () => {
    const [sites, assets] = await Promise.all([sitesApi.list(), assetsApi.list()]);
    return { sites, assets };
  }, []);
  const deviceAlerts = useResource(
    async (signal) => (await alertsApi.list({ deviceId: id, limit: 20 }, signal)).items,
    [id],
  );
  const types = useResource((signal) => deviceTypesApi.list(undefined, signal).catch(() => []), []);
  const [flash, setFlash] = useState(0);

  useSubscriptions(useMemo(() => [{ scope: 'device' as const, id }], [id]));
  const { mutate, reload } = device;
  const { mutate: mutateAlerts, reload: reloadAlerts } = deviceAlerts;
  useEffect(() => {
    const offs = [
      live.on('telemetry', (m) => {
        if (m.deviceId !== id) return;
        mutate((d) => (d ? applyTelemetry(d, m) : d));
        setFlash((f) => f + 1);
      }),
      live.on('presence', (m) => m.deviceId === id && mutate((d) => (d ? { ...d, online: m.status === 'online' } : d))),
      live.on('alert', (m) => m.alert.deviceId === id && mutateAlerts((l) => applyAlertChange(l ?? [], m.alert))),
      live.on('resync', () => {
        reload();
        reloadAlerts();
      }),
    ];
    return () => {
      for (const off of offs) off();
    };
  }, [live, id, mutate, reload, mutateAlerts, reloadAlerts]);

  const d = device.data;
  const assetsById = useMemo(() => new Map((place.data?.assets ?? []).map((a) => [a.id, a])), [place.data]);
  const site = useMemo(() => {
    const sid = d ? siteIdOfAsset(assetsById, d.assetId) : null;
    return place.data?.sites.find((s) => s.id === sid) ?? null;
  }, [d, assetsById, place.data]);
  const tz = site?.timezone ?? browserTimeZone();
  const metrics = useMemo(() => Object.keys(d?.latest ?? {}).sort(), [d?.latest]);
  // the device type's names and units of its metrics (#21): "uptime_s 178" reads "Uptime 2 min 58 s"
  const lookup = metricLookup(types.data);
  const display = (m: string) => lookup(d?.deviceType, m);

  if (device.error) {
    return (
      <>
        <h1>Device {id}</h1>
        <ErrorBox error={device.error} onRetry={device.reload} />
        <p>
          <a href={href('/')}>Back to the fleet</a>
        </p>
      </>
    );
  }
  if (!d) return <Loading label="Loading device…" />;
  const online = isOnline(d, now);

  return (
    <>
      <div className="topbar">
        <div>
          <h1>{d.name || d.id}</h1>
          <p className="muted" style={{ margin: 0 }}>
            {d.id}
            {d.assetId ? ` · ${assetPath(assetsById, d.assetId)}` : ''}
            {site ? ` · ${site.name} (${tz})` : ''}
          </p>
        </div>
        <div className="row">
          <Badge value={online ? 'online' : 'offline'} />
          <span className="muted">Last seen {formatAgo(d.lastSeen, now)}</span>
        </div>
      </div>

      <section className="panel" aria-labelledby="latest-h">
        <h2 id="latest-h" style={{ marginTop: 0 }}>
          Latest values
        </h2>
        {metrics.length === 0 ? (
          <Empty title="No readings yet">
            <p>Values appear here the moment the device sends its first reading.</p>
          </Empty>
        ) : (
          // polite: screen readers hear new values without being interrupted
          <dl className="grid" aria-live="polite" aria-atomic="false" id="latest-values">
            {metrics.map((m) => {
              const lv = d.latest[m];
              return (
                <div key={m} className="card" data-metric={m}>
                  <dt className="muted" title={m}>
                    {display(m).label}
                  </dt>
                  <dd className="value-big" style={{ margin: 0 }}>
                    {formatMetricValue(lv?.v, display(m).unit)}
                  </dd>
                  <dd className="muted" style={{ margin: 0, fontSize: '0.8rem' }}>
                    {lv ? formatTs(lv.t, tz) : ''}
                  </dd>
                </div>
              );
            })}
          </dl>
        )}
      </section>

      {metrics.length > 0 ? <DeviceChart deviceId={d.id} metrics={metrics} timeZone={tz} /> : null}

      <section className="panel" aria-labelledby="dev-alerts-h">
        <div className="row spread">
          <h2 id="dev-alerts-h" style={{ margin: 0 }}>
            Alerts
          </h2>
          <a href={href(`/alerts?device=${encodeURIComponent(d.id)}`)}>All alerts of this device</a>
        </div>
        <ErrorBox error={deviceAlerts.error} />
        {deviceAlerts.data && deviceAlerts.data.length === 0 ? (
          <p className="muted">No alerts for this device. Rules raise them when a threshold is crossed.</p>
        ) : null}
        <ul className="stack" style={{ listStyle: 'none', padding: 0 }}>
          {(deviceAlerts.data ?? []).slice(0, 10).map((a) => (
            <li key={a.id} className="row">
              <Badge value={a.severity} /> <Badge value={a.state} /> <span>{a.message}</span>
              <span className="muted">{formatTs(a.openedAt, tz)}</span>
            </li>
          ))}
        </ul>
      </section>

      <DeviceActions
        device={d}
        assets={place.data?.assets ?? []}
        sites={place.data?.sites ?? []}
        onChange={(next) => mutate(() => next)}
      />

      <DeviceCommands deviceId={d.id} timeZone={tz} />
      <DeviceShadow deviceId={d.id} timeZone={tz} />
      <DeviceRejections deviceId={d.id} />

      <EventsTable deviceId={d.id} timeZone={tz} refreshKey={flash} />
    </>
  );
}

const PAGE = 50;

function EventsTable({ deviceId, timeZone, refreshKey }: { deviceId: string; timeZone: string; refreshKey: number }) {
  const [days, setDays] = useState(7);
  const [rows, setRows] = useState<DeviceEvent[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const first = useResource(
    (signal) =>
      devicesApi.events(
        deviceId,
        {
          from: new Date(Date.now() - days * 86_400_000).toISOString(),
          to: new Date(Date.now() + 60_000).toISOString(),
          limit: PAGE,
        },
        signal,
      ),
    [deviceId, days],
  );
  useEffect(() => {
    if (first.data) {
      setRows(first.data.items);
      setCursor(first.data.nextCursor ?? null);
    }
  }, [first.data]);
  // refresh the first page when live data arrives (at most every 10 s)
  const [lastRefresh, setLastRefresh] = useState(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs on live data only
  useEffect(() => {
    if (refreshKey && Date.now() - lastRefresh > 10_000 && rows.length < PAGE * 2) {
      setLastRefresh(Date.now());
      first.reload();
    }
  }, [refreshKey]);
  const more = useAction(async () => {
    if (!cursor) return;
    const page = await devicesApi.events(deviceId, {
      from: new Date(Date.now() - days * 86_400_000).toISOString(),
      to: new Date(Date.now() + 60_000).toISOString(),
      limit: PAGE,
      cursor,
    });
    setRows((r) => [...r, ...page.items]);
    setCursor(page.nextCursor ?? null);
  });
  const metricNames = useMemo(
    () => [...new Set(rows.flatMap((r) => Object.keys(r.metrics)))].sort().slice(0, 6),
    [rows],
  );

  return (
    <section className="panel" aria-labelledby="events-h">
      <div className="row spread">
        <h2 id="events-h" style={{ margin: 0 }}>
          Events
        </h2>
        <div className="field" style={{ flexDirection: 'row', alignItems: 'center', gap: '0.5rem' }}>
          <label htmlFor="events-days" style={{ margin: 0 }}>
            Period
          </label>
          <select
            id="events-days"
            value={days}
            onChange={(e) => setDays(Number(e.target.value))}
            style={{ width: 'auto' }}
          >
            <option value={1}>Last 24 hours</option>
            <option value={7}>Last 7 days</option>
            <option value={30}>Last 30 days</option>
            <option value={365}>Last year</option>
          </select>
        </div>
      </div>
      <ErrorBox error={first.error ?? more.error} onRetry={first.reload} />
      {first.loading && rows.length === 0 ? <Loading /> : null}
      {!first.loading && rows.length === 0 && !first.error ? (
        <p className="muted">No events in this period. Pick a longer period, or check that the device is sending.</p>
      ) : null}
      {rows.length > 0 ? (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">
              Events of {deviceId}, newest first, times in {timeZone}
            </caption>
            <thead>
              <tr>
                <th scope="col">Time ({timeZone})</th>
                <th scope="col">Kind</th>
                {metricNames.map((m) => (
                  <th scope="col" key={m} className="num">
                    {m}
                  </th>
                ))}
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.eventId}>
                  <td>{formatTs(r.ts, timeZone)}</td>
                  <td>{r.kind}</td>
                  {metricNames.map((m) => (
                    <td key={m} className="num">
                      {formatValue(r.metrics[m])}
                    </td>
                  ))}
                  <td className="muted">
                    {Object.entries(r.attributes ?? {})
                      .slice(0, 4)
                      .map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
                      .join(', ')}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {cursor ? (
        <button type="button" onClick={() => void more.run()} disabled={more.pending} style={{ marginTop: '0.75rem' }}>
          {more.pending ? 'Loading…' : 'Show older events'}
        </button>
      ) : null}
    </section>
  );
}
