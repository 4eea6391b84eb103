import { useEffect, useState } from 'react';
import { alerts as alertsApi, deviceTypes as deviceTypesApi, users as usersApi } from '../api/endpoints.js';
import { useMe } from '../api/session.js';
import { Badge, ErrorBox, Field, Loading } from '../components/ui.js';
import { metricLookup } from '../lib/metrics.js';
import { can } from '../lib/permissions.js';
import { formatZoned } from '../lib/time.js';
import { useAction, useResource } from '../lib/use-resource.js';
import { useLive } from '../live/context.js';
import { useWatchAll } from '../live/watch-all.js';
import { href } from '../router.js';
import { alertReading } from './Alerts.js';

const CHANGE: Record<string, string> = {
  opened: 'Opened',
  acknowledged: 'Acknowledged',
  assigned: 'Assigned',
  resolved: 'Resolved',
  reminder: 'Reminder sent',
};

/** One alert: what, where, its history (state changes), the acknowledgement's comment and the assignee. */
export function AlertPage({ id }: { id: string }) {
  const me = useMe();
  const live = useLive();
  const alert = useResource((signal) => alertsApi.get(id, signal), [id]);
  const types = useResource((signal) => deviceTypesApi.list(undefined, signal).catch(() => []), []);
  const people = useResource(() => (can(me.role, 'users:read') ? usersApi.list() : Promise.resolve([])), [me.role]);
  const [note, setNote] = useState('');
  const [announcement, setAnnouncement] = useState('');

  useWatchAll();
  const { reload } = alert;
  useEffect(() => {
    const offs = [
      live.on('alert', ({ alert: a }) => {
        if (a.alertId === id) reload();
      }),
      live.on('resync', reload),
    ];
    return () => {
      for (const off of offs) off();
    };
  }, [live, id, reload]);

  const act = useAction(async (kind: 'ack' | 'resolve') => {
    if (kind === 'ack') await alertsApi.acknowledge(id, note.trim() || undefined);
    else await alertsApi.resolve(id, note.trim() || undefined);
    setNote('');
    setAnnouncement(kind === 'ack' ? 'Alert acknowledged.' : 'Alert resolved.');
    reload();
  });
  const assign = useAction(async (userId: string) => {
    await alertsApi.assign(id, userId || null);
    setAnnouncement('Assignee changed.');
    reload();
  });

  const a = alert.data;
  if (!a) {
    return (
      <>
        <h1>Alert</h1>
        <ErrorBox error={alert.error} onRetry={alert.reload} />
        {alert.loading ? <Loading label="Loading the alert…" /> : null}
      </>
    );
  }
  const tz = a.timezone;
  const reading = alertReading(a, metricLookup(types.data));
  const mayAck = a.state === 'open' && can(me.role, 'alerts:acknowledge');
  const mayResolve = a.state !== 'resolved' && can(me.role, 'alerts:resolve');
  return (
    <>
      <div className="topbar">
        <h1>
          <Badge value={a.severity} /> {a.message}
        </h1>
        <a href={href('/alerts')}>All alerts</a>
      </div>
      <div className="visually-hidden" role="status" aria-live="polite">
        {announcement}
      </div>
      <section className="panel" aria-label="Alert details">
        <dl className="facts">
          <dt>State</dt>
          <dd data-testid="alert-state">
            <Badge value={a.state} />
            {a.resolution ? <span className="muted"> ({a.resolution.replace('_', ' ')})</span> : null}
          </dd>
          {reading ? (
            <>
              <dt>Reading</dt>
              <dd>{reading}</dd>
            </>
          ) : null}
          <dt>Device</dt>
          <dd>
            {a.deviceId ? (
              <a href={href(`/devices/${encodeURIComponent(a.deviceId)}`)}>{a.deviceName || a.deviceId}</a>
            ) : (
              '—'
            )}
            {a.assetName ? ` · ${a.assetName}` : ''}
            {a.siteName ? ` · ${a.siteName}` : ''}
          </dd>
          <dt>Opened</dt>
          <dd>{formatZoned(a.openedAt, tz)}</dd>
          <dt>Assignee</dt>
          <dd data-testid="alert-assignee">{a.assigneeName ?? 'nobody yet'}</dd>
          <dt>Acknowledgement</dt>
          <dd data-testid="alert-ack">
            {a.acknowledgedAt
              ? `${a.acknowledgedByName ?? 'someone'}, ${formatZoned(a.acknowledgedAt, tz)}${
                  a.acknowledgementNote ? `: “${a.acknowledgementNote}”` : ''
                }`
              : 'not yet'}
          </dd>
        </dl>
      </section>
      {mayAck || mayResolve ? (
        <section className="panel" aria-label="Act on the alert">
          <Field label="Comment" name="note" error={act.error} hint="Shown in the alert's history.">
            {(p) => (
              <textarea {...p} rows={2} maxLength={2000} value={note} onChange={(e) => setNote(e.target.value)} />
            )}
          </Field>
          <div className="row" style={{ marginTop: '0.5rem' }}>
            {mayAck ? (
              <button type="button" className="primary" disabled={act.pending} onClick={() => void act.run('ack')}>
                Acknowledge
              </button>
            ) : null}
            {mayResolve ? (
              <button type="button" disabled={act.pending} onClick={() => void act.run('resolve')}>
                Resolve
              </button>
            ) : null}
          </div>
          <ErrorBox error={act.error} />
        </section>
      ) : null}
      {can(me.role, 'alerts:resolve') && people.data && people.data.length > 0 && a.state !== 'resolved' ? (
        <section className="panel" aria-label="Assign">
          <Field label="Assign to" name="assignee" error={assign.error}>
            {(p) => (
              <select {...p} value={a.assigneeId ?? ''} onChange={(e) => void assign.run(e.target.value)}>
                <option value="">Nobody</option>
                {people.data?.map((u) => (
                  <option key={u.id} value={u.id}>
                    {[u.firstName, u.lastName].filter(Boolean).join(' ') || u.username} ({u.role})
                  </option>
                ))}
              </select>
            )}
          </Field>
        </section>
      ) : null}
      <section aria-labelledby="history-h">
        <h2 id="history-h">History ({tz})</h2>
        <ol className="history" data-testid="alert-history">
          {a.events.map((e) => (
            <li key={`${e.at}-${e.change}-${e.actorId ?? ''}`}>
              <strong>{CHANGE[e.change] ?? e.change}</strong> · {formatZoned(e.at, tz)}
              {e.actorName ? ` · ${e.actorName}` : ''}
              {e.note ? <div className="muted">{e.note}</div> : null}
            </li>
          ))}
        </ol>
      </section>
    </>
  );
}
