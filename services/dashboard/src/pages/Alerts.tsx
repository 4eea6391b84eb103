import { useEffect, useMemo, useState } from 'react';
import { alerts as alertsApi } from '../api/endpoints.js';
import { useMe } from '../api/session.js';
import type { Alert, AlertState } from '../api/types.js';
import { Badge, Empty, ErrorBox, formatValue, Loading } from '../components/ui.js';
import { applyAlertChange } from '../lib/fleet.js';
import { can } from '../lib/permissions.js';
import { browserTimeZone, formatTs } from '../lib/time.js';
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

function matches(a: Alert, f: StateFilter): boolean {
  if (f === 'all') return true;
  if (f === 'active') return a.state !== 'resolved';
  return a.state === f;
}

/** Alerts with acknowledge (operators and up) and resolve (managers and admins). */
export function AlertsPage() {
  const me = useMe();
  const live = useLive();
  const { query } = useLocation();
  const deviceId = query.get('device') ?? undefined;
  const [filter, setFilter] = useState<StateFilter>('active');
  const [severity, setSeverity] = useState('');
  const [announcement, setAnnouncement] = useState('');
  const tz = browserTimeZone();

  const list = useResource(
    async (signal) =>
      (
        await alertsApi.list(
          { state: filter === 'all' ? undefined : filter, deviceId, severity: severity || undefined },
          signal,
        )
      ).items,
    [filter, deviceId, severity],
  );

  useWatchAll();
  const { mutate, reload } = list;
  useEffect(() => {
    const offs = [
      live.on('alert', ({ alert, replay }) => {
        if (deviceId && alert.deviceId !== deviceId) return;
        mutate((l) => applyAlertChange(l ?? [], alert));
        if (alert.change === 'opened' && !replay) {
          setAnnouncement(`New ${alert.severity} alert: ${alert.message}`);
        }
      }),
      live.on('resync', reload),
    ];
    return () => {
      for (const off of offs) off();
    };
  }, [live, deviceId, mutate, reload]);

  const shown = useMemo(
    () =>
      (list.data ?? [])
        .filter((a) => matches(a, filter) && (!severity || a.severity === severity))
        .sort((a, b) => b.openedAt.localeCompare(a.openedAt)),
    [list.data, filter, severity],
  );

  const act = useAction(async (kind: 'ack' | 'resolve', id: string) => {
    const updated = kind === 'ack' ? await alertsApi.acknowledge(id) : await alertsApi.resolve(id);
    mutate((l) => l?.map((a) => (a.id === id ? { ...a, ...updated } : a)));
    setAnnouncement(kind === 'ack' ? 'Alert acknowledged.' : 'Alert resolved.');
  });

  return (
    <>
      <div className="topbar">
        <h1>Alerts{deviceId ? ` of ${deviceId}` : ''}</h1>
        {deviceId ? (
          <button type="button" onClick={() => navigate('/alerts')}>
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
            <button key={f.id} type="button" aria-pressed={filter === f.id} onClick={() => setFilter(f.id)}>
              {f.label}
            </button>
          ))}
        </fieldset>
        <div className="field" style={{ maxWidth: '12rem' }}>
          <label htmlFor="alert-sev">Severity</label>
          <select id="alert-sev" value={severity} onChange={(e) => setSeverity(e.target.value)}>
            <option value="">Any</option>
            <option value="critical">Critical</option>
            <option value="warning">Warning</option>
            <option value="info">Info</option>
          </select>
        </div>
      </div>
      <ErrorBox error={list.error} onRetry={list.reload} />
      <ErrorBox error={act.error} />
      {list.loading && !list.data ? <Loading label="Loading alerts…" /> : null}
      {list.data && shown.length === 0 ? (
        <Empty title={filter === 'active' ? 'Nothing needs attention' : 'No alerts match'}>
          <p>
            {filter === 'active'
              ? 'Alerts appear here live when a rule is breached.'
              : 'Try another state or severity.'}{' '}
            {can(me.role, 'rules:write') ? (
              <>
                Rules are set up in <a href={href('/admin/rules')}>Rules and recipients</a>.
              </>
            ) : null}
          </p>
        </Empty>
      ) : null}
      {shown.length > 0 ? (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Alerts, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Severity</th>
                <th scope="col">State</th>
                <th scope="col">What</th>
                <th scope="col">Device</th>
                <th scope="col">Opened ({tz})</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((a) => (
                <tr key={a.id} data-alert-id={a.id} data-state={a.state}>
                  <td>
                    <Badge value={a.severity} />
                  </td>
                  <td>
                    <Badge value={a.state} />
                  </td>
                  <td>
                    {a.message}
                    {a.value !== null && a.metric ? (
                      <div className="muted" style={{ fontSize: '0.85rem' }}>
                        {a.metric} = {formatValue(a.value)}
                        {a.threshold !== null ? ` (threshold ${formatValue(a.threshold)})` : ''}
                      </div>
                    ) : null}
                  </td>
                  <td>
                    {a.deviceId ? <a href={href(`/devices/${encodeURIComponent(a.deviceId)}`)}>{a.deviceId}</a> : '—'}
                  </td>
                  <td>{formatTs(a.openedAt, tz)}</td>
                  <td>
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
                      {a.state !== 'resolved' && !can(me.role, 'alerts:resolve') && a.state === 'acknowledged' ? (
                        <span className="muted">A manager resolves it</span>
                      ) : null}
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </>
  );
}
