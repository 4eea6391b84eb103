import { useEffect } from 'react';
import { firmware, type RolloutDeviceState } from '../../api/firmware.js';
import { Badge, ErrorBox, Loading } from '../../components/ui.js';
import { formatTs } from '../../lib/time.js';
import { useResource } from '../../lib/use-resource.js';
import { href } from '../../router.js';
import { formatBytes } from './Firmware.js';

const TZ = Intl.DateTimeFormat().resolvedOptions().timeZone;
const STATES: RolloutDeviceState[] = ['pending', 'notified', 'downloading', 'installing', 'updated', 'failed'];
/** Polled while the rollout is active: one bounded query (≤ 1000 device rows), stopped once it is done. */
const POLL_MS = 2_000;

/** One rollout: its summary and each device's state and download progress (#18). */
export function RolloutPage({ id }: { id: string }) {
  const rollout = useResource((signal) => firmware.rollout(id, signal), [id]);
  const { reload } = rollout;
  const active = rollout.data?.status === 'active';
  useEffect(() => {
    if (!active) return;
    const t = setInterval(reload, POLL_MS);
    return () => clearInterval(t);
  }, [active, reload]);
  const r = rollout.data;

  return (
    <div className="page">
      <p>
        <a href={href('/firmware')}>← Firmware</a>
      </p>
      <h1>
        Rollout of {r ? `${r.deviceType} ${r.version}` : '…'} {r ? <Badge value={r.status} /> : null}
      </h1>
      <ErrorBox error={rollout.error} onRetry={reload} />
      {!r && rollout.loading ? <Loading /> : null}
      {r ? (
        <>
          <section className="panel" aria-label="Summary">
            <p className="muted">
              {formatBytes(r.size)}, sha256 <code>{r.sha256.slice(0, 16)}…</code>; started {formatTs(r.createdAt, TZ)},
              expires {formatTs(r.expiresAt, TZ)}
            </p>
            <ul
              className="row"
              aria-label="Devices by state"
              style={{ listStyle: 'none', padding: 0, flexWrap: 'wrap' }}
            >
              {STATES.map((s) => (
                <li key={s} data-summary={s}>
                  <Badge value={s} /> {r.summary[s]}
                </li>
              ))}
              <li>of {r.summary.total}</li>
            </ul>
          </section>
          <section className="panel" aria-labelledby="rollout-devices-h">
            <h2 id="rollout-devices-h">Devices</h2>
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th>Device</th>
                    <th>State</th>
                    <th>Downloaded</th>
                    <th>Requests</th>
                    <th>From version</th>
                    <th>Last change</th>
                    <th>Error</th>
                  </tr>
                </thead>
                <tbody>
                  {r.devices.map((d) => (
                    <tr key={d.deviceId} data-device-id={d.deviceId} data-state={d.state}>
                      <td>
                        <a href={href(`/devices/${encodeURIComponent(d.deviceId)}`)}>{d.deviceId}</a>
                      </td>
                      <td>
                        <Badge value={d.state} />
                      </td>
                      <td>
                        <progress max={r.size} value={d.bytes} aria-label={`${d.deviceId} downloaded`} />{' '}
                        {Math.round((100 * d.bytes) / r.size)}%
                      </td>
                      <td>{d.downloads}</td>
                      <td>{d.fromVersion ?? '—'}</td>
                      <td>{formatTs(d.updatedAt, TZ)}</td>
                      <td>{d.error ?? ''}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </section>
        </>
      ) : null}
    </div>
  );
}
