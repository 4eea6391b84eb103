import { useEffect, useState } from 'react';
import { alerts as alertsApi, deviceTypes as deviceTypesApi, sites as sitesApi } from '../api/endpoints.js';
import { useMe } from '../api/session.js';
import type { Alert, AlertState } from '../api/types.js';
import { Badge, Empty, ErrorBox, Loading } from '../components/ui.js';
import { applyAlertChange } from '../lib/fleet.js';
import { formatMetricValue, metricLookup } from '../lib/metrics.js';
import { can } from '../lib/permissions.js';
import { browserTimeZone, formatZoned, fromZonedInput } from '../lib/time.js';
import { useAction, useResource } from '../lib/use-resource.js';
import { useLive } from '../live/context.js';
import { useWatchAll } from '../live/watch-all.js';
import { href, navigate, useLocation } from '../router.js';

type StateFilter = 'active' | AlertState | 'all';

const FILTERS: Array<{ id: StateFilter; label: string }> = [
  { id: 'active', label: 'Needs attention' },
  { id: 'open', label: 'Open' },
  { id: 'acknowledged', label: 'Acknowledged' },
  { id: 'resolved', label: 'Resolved' },
  { id: 'all', label: 'All' },
];

const PAGE_SIZES = [5, 25, 100];

/** Does a live alert belong on the page the filters show? (The server applied them to the rest.) */
function matches(a: Alert, f: { state: StateFilter; severity: string; siteId: string; deviceId: string }): boolean {
  if (f.state === 'active' && a.state === 'resolved') return false;
  if (f.state !== 'active' && f.state !== 'all' && a.state !== f.state) return false;
  if (f.severity && a.severity !== f.severity) return false;
  if (f.deviceId && a.deviceId !== f.deviceId) return false;
  if (f.siteId && a.siteId !== f.siteId) return false;
  return true;
}

/** What happened, with the metric's display name and unit (#21). */
export function alertReading(a: Alert, lookup: ReturnType<typeof metricLookup>): string | null {
  if (a.value === null || !a.metric) return null;
  const m = lookup(a.deviceType, a.metric);
  const threshold = a.threshold !== null ? ` (threshold ${formatMetricValue(a.threshold, m.unit)})` : '';
  return `${m.label} ${formatMetricValue(a.value, m.unit)}${threshold}`;
}

/** Alerts, paged and filtered on the server, with acknowledge (operators and up) and resolve (managers, admins). */
export function AlertsPage() {
  const me = useMe();
  const live = useLive();
  const { query } = useLocation();
  const [filters, setFilters] = useState({
    state: 'active' as StateFilter,
    severity: '',
    siteId: '',
    deviceId: query.get('device') ?? '',
    since: '',
    until: '',
    limit: 25,
  });
  // the cursors of the pages before this one: Newer pops, Older pushes
  const [cursors, setCursors] = useState<string[]>([]);
  const [announcement, setAnnouncement] = useState('');
  const sites = useResource(() => sitesApi.list(), []);
  const types = useResource((signal) => deviceTypesApi.list(undefined, signal).catch(() => []), []);
  const lookup = metricLookup(types.data);
  const site = sites.data?.find((s) => s.id === filters.siteId);
  // the zone the from/to inputs are read in: the chosen site's, else the browser's (named beside them)
  const inputZone = site?.timezone ?? browserTimeZone();
  const cursor = cursors[cursors.length - 1];

  const list = useResource(
    (signal) => {
      const at = (v: string) => (v ? new Date(fromZonedInput(v, inputZone)).toISOString() : undefined);
      return alertsApi.list(
        {
          state: filters.state === 'all' ? undefined : filters.state,
          severity: filters.severity || undefined,
          siteId: filters.siteId || undefined,
          deviceId: filters.deviceId.trim() || undefined,
          since: at(filters.since),
          until: at(filters.until),
          limit: filters.limit,
          cursor,
        },
        signal,
      );
    },
    [filters, cursor, inputZone],
  );
  const setFilter = (patch: Partial<typeof filters>) => {
    setCursors([]);
    setFilters((f) => ({ ...f, ...patch }));
  };

  useWatchAll();
  const { mutate, reload } = list;
  useEffect(() => {
    const offs = [
      live.on('alert', ({ alert, replay }) => {
        mutate((page) => {
          if (!page) return page;
          if (page.items.some((a) => a.id === alert.alertId)) {
            // a change of a listed alert: keep what the list read with it (names, zone)
            const prev = page.items.find((a) => a.id === alert.alertId);
            const items = applyAlertChange(page.items, alert).map((a) =>
              a.id === alert.alertId ? { ...prev, ...a } : a,
            );
            return { ...page, items };
          }
          return page;
        });
        if (alert.change === 'opened' && !cursor) {
          // a new alert: read it with its names and zone, and show it on the first page if it matches
          void alertsApi.get(alert.alertId).then(
            (full) => {
              if (!matches(full, filters)) return;
              mutate((page) =>
                page && !page.items.some((a) => a.id === full.id) ? { ...page, items: [full, ...page.items] } : page,
              );
            },
            () => {},
          );
          if (!replay) setAnnouncement(`New ${alert.severity} alert: ${alert.message}`);
        }
      }),
      live.on('resync', reload),
    ];
    return () => {
      for (const off of offs) off();
    };
  }, [live, mutate, reload, cursor, filters]);

  const act = useAction(async (kind: 'ack' | 'resolve', id: string) => {
    const updated = kind === 'ack' ? await alertsApi.acknowledge(id) : await alertsApi.resolve(id);
    mutate((page) => page && { ...page, items: page.items.map((a) => (a.id === id ? { ...a, ...updated } : a)) });
    setAnnouncement(kind === 'ack' ? 'Alert acknowledged.' : 'Alert resolved.');
  });

  // a live change or an action may take an alert out of what the filters show (resolved while
  // "Needs attention" is on): it leaves the page as it would on a reload
  const items = (list.data?.items ?? []).filter((a) => matches(a, filters));
  return (
    <>
      <div className="topbar">
        <h1>Alerts</h1>
        {filters.deviceId ? (
          <button
            type="button"
            onClick={() => {
              setFilter({ deviceId: '' });
              navigate('/alerts');
            }}
          >
            Show every device
          </button>
        ) : null}
      </div>
      <div className="visually-hidden" role="status" aria-live="polite">
        {announcement}
      </div>
      <div className="inline-form panel">
        <fieldset className="segmented" style={{ border: 0, padding: 0, margin: 0 }}>
          <legend className="visually-hidden">Alert state</legend>
          {FILTERS.map((f) => (
            <button
              key={f.id}
              type="button"
              aria-pressed={filters.state === f.id}
              onClick={() => setFilter({ state: f.id })}
            >
              {f.label}
            </button>
          ))}
        </fieldset>
        <div className="field" style={{ maxWidth: '10rem' }}>
          <label htmlFor="alert-sev">Severity</label>
          <select id="alert-sev" value={filters.severity} onChange={(e) => setFilter({ severity: e.target.value })}>
            <option value="">Any</option>
            <option value="critical">Critical</option>
            <option value="warning">Warning</option>
            <option value="info">Info</option>
          </select>
        </div>
        <div className="field" style={{ maxWidth: '14rem' }}>
          <label htmlFor="alert-site">Site</label>
          <select id="alert-site" value={filters.siteId} onChange={(e) => setFilter({ siteId: e.target.value })}>
            <option value="">Every site</option>
            {(sites.data ?? []).map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
        </div>
        <div className="field" style={{ maxWidth: '14rem' }}>
          <label htmlFor="alert-device">Device id</label>
          <input
            id="alert-device"
            value={filters.deviceId}
            onChange={(e) => setFilter({ deviceId: e.target.value })}
            placeholder="any"
          />
        </div>
        <div className="field" style={{ maxWidth: '8rem' }}>
          <label htmlFor="alert-limit">Per page</label>
          <select id="alert-limit" value={filters.limit} onChange={(e) => setFilter({ limit: Number(e.target.value) })}>
            {PAGE_SIZES.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </div>
        <div className="field" style={{ maxWidth: '14rem' }}>
          <label htmlFor="alert-since">Opened from ({inputZone})</label>
          <input
            id="alert-since"
            type="datetime-local"
            value={filters.since}
            onChange={(e) => setFilter({ since: e.target.value })}
          />
        </div>
        <div className="field" style={{ maxWidth: '14rem' }}>
          <label htmlFor="alert-until">Opened before ({inputZone})</label>
          <input
            id="alert-until"
            type="datetime-local"
            value={filters.until}
            onChange={(e) => setFilter({ until: e.target.value })}
          />
        </div>
      </div>
      <ErrorBox error={list.error} onRetry={list.reload} />
      <ErrorBox error={act.error} />
      {list.loading && !list.data ? <Loading label="Loading alerts…" /> : null}
      {list.data && items.length === 0 ? (
        <Empty title={filters.state === 'active' && !cursor ? 'Nothing needs attention' : 'No alerts match'}>
          <p>
            {filters.state === 'active'
              ? 'Alerts appear here live when a rule is breached.'
              : 'Try another state, severity, site or time.'}{' '}
            {can(me.role, 'rules:write') ? (
              <>
                Rules are set up in <a href={href('/admin/rules')}>Rules and recipients</a>.
              </>
            ) : null}
          </p>
        </Empty>
      ) : null}
      {items.length > 0 ? (
        <div className="table-wrap">
          <table className="cards-narrow">
            <caption className="visually-hidden">Alerts, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Severity</th>
                <th scope="col">State</th>
                <th scope="col">What</th>
                <th scope="col">Device</th>
                <th scope="col">Opened (site time)</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {items.map((a) => {
                const reading = alertReading(a, lookup);
                return (
                  <tr key={a.id} data-alert-id={a.id} data-state={a.state}>
                    <td data-label="Severity">
                      <Badge value={a.severity} />
                    </td>
                    <td data-label="State">
                      <Badge value={a.state} />
                    </td>
                    <td data-label="What">
                      <a href={href(`/alerts/${encodeURIComponent(a.id)}`)}>{a.message}</a>
                      {reading ? (
                        <div className="muted" style={{ fontSize: '0.85rem' }}>
                          {reading}
                        </div>
                      ) : null}
                    </td>
                    <td data-label="Device">
                      {a.deviceId ? (
                        <a href={href(`/devices/${encodeURIComponent(a.deviceId)}`)}>{a.deviceName || a.deviceId}</a>
                      ) : (
                        '—'
                      )}
                      {a.siteName ? <div className="muted">{a.siteName}</div> : null}
                    </td>
                    <td data-label="Opened">{formatZoned(a.openedAt, a.timezone)}</td>
                    <td data-label="Actions">
                      <div className="row">
                        {a.state === 'open' && can(me.role, 'alerts:acknowledge') ? (
                          <button
                            type="button"
                            disabled={act.pending}
                            onClick={() => void act.run('ack', a.id)}
                            aria-label={`Acknowledge: ${a.message}`}
                          >
                            Acknowledge
                          </button>
                        ) : null}
                        {a.state !== 'resolved' && can(me.role, 'alerts:resolve') ? (
                          <button
                            type="button"
                            disabled={act.pending}
                            onClick={() => void act.run('resolve', a.id)}
                            aria-label={`Resolve: ${a.message}`}
                          >
                            Resolve
                          </button>
                        ) : null}
                        {a.state === 'acknowledged' && !can(me.role, 'alerts:resolve') ? (
                          <span className="muted">A manager resolves it</span>
                        ) : null}
                      </div>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      ) : null}
      <nav className="row pager" aria-label="Alert pages">
        <button type="button" disabled={cursors.length === 0} onClick={() => setCursors((c) => c.slice(0, -1))}>
          Newer
        </button>
        <span className="muted">Page {cursors.length + 1}</span>
        <button
          type="button"
          disabled={!list.data?.nextCursor}
          onClick={() => {
            const next = list.data?.nextCursor;
            if (next) setCursors((c) => [...c, next]);
          }}
        >
          Older
        </button>
      </nav>
    </>
  );
}
