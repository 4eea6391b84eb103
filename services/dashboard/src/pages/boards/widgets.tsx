import { useEffect, useState } from 'react';
import { alerts as alertsApi, commands as commandsApi, devices as devicesApi } from '../../api/endpoints.js';
import { useMe } from '../../api/session.js';
import type { Command, Device } from '../../api/types.js';
import { Badge, ErrorBox, formatValue } from '../../components/ui.js';
import { applyAlertChange, applyTelemetry, isOnline } from '../../lib/fleet.js';
import { can } from '../../lib/permissions.js';
import { formatAgo, formatTs } from '../../lib/time.js';
import { useAction, useResource } from '../../lib/use-resource.js';
import { useLive, useNow } from '../../live/context.js';
import { href } from '../../router.js';
import type { Widget } from './layout.js';

type Of<K extends Widget['kind']> = Extract<Widget, { kind: K }>;

export interface WidgetProps<K extends Widget['kind']> {
  widget: Of<K>;
  device: Device | undefined;
  timeZone: string;
}

export function LatestWidget({ widget, device }: WidgetProps<'latest'>) {
  const now = useNow();
  const { metric } = widget.binding;
  const latest = device?.latest[metric];
  return (
    <div className="board-value">
      <span className="value-big" data-metric={metric}>
        {formatValue(latest?.v, widget.options.decimals)}
      </span>
      {widget.options.unit ? <span className="muted"> {widget.options.unit}</span> : null}
      <div className="muted">
        {metric} · {latest ? formatAgo(latest.t, now) : 'no reading yet'}
      </div>
    </div>
  );
}

/** A half-circle from min to max; the value is also written out (the arc is decoration). */
export function GaugeWidget({ widget, device }: WidgetProps<'gauge'>) {
  const { min, max, unit } = widget.options;
  const v = device?.latest[widget.binding.metric]?.v;
  const share = v === undefined ? 0 : Math.min(1, Math.max(0, (v - min) / (max - min)));
  const angle = Math.PI * (1 - share);
  const end = { x: 50 + 40 * Math.cos(angle), y: 50 - 40 * Math.sin(angle) };
  return (
    <div className="board-gauge">
      <svg viewBox="0 0 100 56" aria-hidden="true">
        <path d="M10 50 A40 40 0 0 1 90 50" fill="none" stroke="var(--border)" strokeWidth="8" />
        {v !== undefined ? (
          <path
            d={`M10 50 A40 40 0 0 1 ${end.x.toFixed(2)} ${end.y.toFixed(2)}`}
            fill="none"
            stroke="var(--accent)"
            strokeWidth="8"
          />
        ) : null}
      </svg>
      <div>
        <span className="value-big" data-metric={widget.binding.metric}>
          {formatValue(v)}
        </span>
        {unit ? <span className="muted"> {unit}</span> : null}
      </div>
      <div className="muted">
        {formatValue(min)} – {formatValue(max)}
      </div>
    </div>
  );
}

export function AlertsWidget({ widget, timeZone }: WidgetProps<'alerts'>) {
  const live = useLive();
  const { deviceId, assetId } = widget.binding;
  const { limit, activeOnly } = widget.options;
  const list = useResource(
    async (signal) =>
      (await alertsApi.list({ deviceId, assetId, state: activeOnly ? 'active' : undefined, limit }, signal)).items,
    [deviceId, assetId, activeOnly, limit],
  );
  const { mutate, reload } = list;
  useEffect(() => {
    const offs = [
      live.on('alert', (m) => {
        if (deviceId && m.alert.deviceId !== deviceId) return;
        // an asset's subtree is the server's to decide: ask it again
        if (assetId) return reload();
        mutate((l) =>
          applyAlertChange(l ?? [], m.alert)
            .filter((a) => !activeOnly || a.state !== 'resolved')
            .slice(0, limit),
        );
      }),
      live.on('resync', () => reload()),
    ];
    return () => {
      for (const off of offs) off();
    };
  }, [live, deviceId, assetId, activeOnly, limit, mutate, reload]);
  return (
    <>
      <ErrorBox error={list.error} onRetry={reload} />
      {list.data && list.data.length === 0 ? <p className="muted">Nothing needs attention.</p> : null}
      <ul className="board-list">
        {(list.data ?? []).map((a) => (
          <li key={a.id} data-alert-id={a.id} data-state={a.state}>
            <Badge value={a.severity} /> <Badge value={a.state} /> {a.message}
            <div className="muted">{formatTs(a.openedAt, timeZone)}</div>
          </li>
        ))}
      </ul>
    </>
  );
}

export function DevicesWidget({ widget }: WidgetProps<'devices'>) {
  const live = useLive();
  const now = useNow();
  const { assetId, metric } = widget.binding;
  const list = useResource(
    async (signal) => (await devicesApi.page({ assetId, state: 'active', limit: widget.options.limit }, signal)).items,
    [assetId, widget.options.limit],
  );
  const { mutate } = list;
  useEffect(() => {
    const offs = [
      live.on('telemetry', (m) => mutate((l) => l?.map((d) => (d.id === m.deviceId ? applyTelemetry(d, m) : d)))),
      live.on('presence', (m) =>
        mutate((l) => l?.map((d) => (d.id === m.deviceId ? { ...d, online: m.status === 'online' } : d))),
      ),
    ];
    return () => {
      for (const off of offs) off();
    };
  }, [live, mutate]);
  return (
    <>
      <ErrorBox error={list.error} onRetry={list.reload} />
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th>Device</th>
              <th>Status</th>
              {metric ? <th>{metric}</th> : null}
              <th>Last seen</th>
            </tr>
          </thead>
          <tbody>
            {(list.data ?? []).map((d) => (
              <tr key={d.id} data-device-id={d.id}>
                <td>
                  <a href={href(`/devices/${encodeURIComponent(d.id)}`)}>{d.name || d.id}</a>
                </td>
                <td>
                  <Badge value={isOnline(d, now) ? 'online' : 'offline'} />
                </td>
                {metric ? <td data-metric={metric}>{formatValue(d.latest[metric]?.v)}</td> : null}
                <td>{formatAgo(d.lastSeen, now)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

/** Sends the configured command through POST /api/devices/{id}/commands and shows its state. */
export function CommandWidget({ widget, device }: WidgetProps<'command'>) {
  const me = useMe();
  const { name, params, label } = widget.options;
  const send = useAction(
    (): Promise<Command> => commandsApi.send(widget.binding.deviceId, { name, params, expectReply: true }, 5),
  );
  const [last, setLast] = useState<Command | null>(null);
  const allowed = can(me.role, 'devices:write');
  return (
    <div className="board-command">
      <button
        type="button"
        className="primary"
        disabled={!allowed || send.pending || !device}
        onClick={() => void send.run().then((c) => c && setLast(c))}
      >
        {label || `Send ${name}`}
      </button>
      {!allowed ? <p className="muted">Managers and admins send commands.</p> : null}
      {last ? (
        <p role="status">
          <code>{last.name}</code> <Badge value={last.status} />
        </p>
      ) : null}
      <ErrorBox error={send.error} />
    </div>
  );
}
