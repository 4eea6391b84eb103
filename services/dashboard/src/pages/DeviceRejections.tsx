import { devices as devicesApi } from '../api/endpoints.js';
import { useResource } from '../lib/use-resource.js';

/** The device's rejected messages (#14): what was refused, why, when, and what it looked like. */
export function DeviceRejections({ deviceId }: { deviceId: string }) {
  const list = useResource(
    async (signal) => (await devicesApi.rejections(deviceId, { limit: 20 }, signal)).items,
    [deviceId],
  );
  const items = list.data ?? [];
  return (
    <section className="panel" aria-labelledby="dev-rejections-h">
      <h2 id="dev-rejections-h" style={{ marginTop: 0 }}>
        Rejected messages{items.length > 0 ? ` (${items.length}${items.length === 20 ? '+' : ''})` : ''}
      </h2>
      {items.length === 0 ? (
        <p className="muted">Nothing this device sent was refused.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Received</th>
              <th>Reason</th>
              <th>Where</th>
              <th>Payload</th>
            </tr>
          </thead>
          <tbody>
            {items.map((r) => (
              <tr key={r.id} title={r.detail}>
                <td>{new Date(r.receivedAt).toLocaleString()}</td>
                <td>{r.reason}</td>
                <td>
                  {r.source} {r.channel}
                </td>
                <td>
                  <code>{r.excerpt}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
