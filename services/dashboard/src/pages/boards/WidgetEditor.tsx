import { useId, useState } from 'react';
import type { Asset, Device } from '../../api/types.js';
import { moveBy, resizeBy, type Widget } from './layout.js';

const RANGES = [
  { minutes: 15, label: '15 minutes' },
  { minutes: 60, label: '1 hour' },
  { minutes: 1440, label: '24 hours' },
  { minutes: 10_080, label: '7 days' },
  { minutes: 43_200, label: '30 days' },
];

interface Props {
  widget: Widget;
  devices: Device[];
  assets: Asset[];
  onChange: (w: Widget) => void;
  onRemove: () => void;
}

/**
 * The builder's controls of one widget: its binding and options, and buttons to move and resize it
 * on the grid (buttons rather than only dragging: they work from the keyboard and on a phone).
 */
export function WidgetEditor({ widget, devices, assets, onChange, onRemove }: Props) {
  const uid = useId();
  const b = widget.binding as { deviceId?: string; assetId?: string; metric?: string };
  const set = (patch: Partial<Widget>) => onChange({ ...widget, ...patch } as Widget);
  const bind = (patch: Record<string, string | undefined>) => {
    const next: Record<string, string> = {};
    for (const [k, v] of Object.entries({ ...b, ...patch })) if (v) next[k] = v;
    set({ binding: next } as Partial<Widget>);
  };
  const opt = (patch: Record<string, unknown>) => set({ options: { ...widget.options, ...patch } } as Partial<Widget>);
  const p = widget.position;
  const device = devices.find((d) => d.id === b.deviceId);
  const metrics = Object.keys(device?.latest ?? {}).sort();
  const needsDevice = widget.kind !== 'devices';
  const deviceOptional = widget.kind === 'alerts';
  const hasMetric =
    widget.kind === 'latest' || widget.kind === 'chart' || widget.kind === 'gauge' || widget.kind === 'devices';
  const hasAsset = widget.kind === 'alerts' || widget.kind === 'devices';

  return (
    <fieldset className="board-editor">
      <legend className="visually-hidden">Widget settings</legend>
      <label>
        Title
        <input value={widget.title} maxLength={80} onChange={(e) => set({ title: e.target.value })} />
      </label>
      {needsDevice ? (
        <label>
          Device
          <select value={b.deviceId ?? ''} onChange={(e) => bind({ deviceId: e.target.value, assetId: undefined })}>
            <option value="">{deviceOptional ? 'Any device' : 'Choose a device'}</option>
            {devices.map((d) => (
              <option key={d.id} value={d.id}>
                {d.name || d.id}
              </option>
            ))}
          </select>
        </label>
      ) : null}
      {hasAsset ? (
        <label>
          Asset
          <select value={b.assetId ?? ''} onChange={(e) => bind({ assetId: e.target.value, deviceId: undefined })}>
            <option value="">Whole tenant</option>
            {assets.map((a) => (
              <option key={a.id} value={a.id}>
                {a.name} ({a.type})
              </option>
            ))}
          </select>
        </label>
      ) : null}
      {hasMetric ? (
        <label>
          Metric
          <input
            list={`${uid}-metrics`}
            value={b.metric ?? ''}
            onChange={(e) => bind({ metric: e.target.value.trim() })}
          />
          <datalist id={`${uid}-metrics`}>
            {metrics.map((m) => (
              <option key={m} value={m} />
            ))}
          </datalist>
        </label>
      ) : null}
      <KindOptions widget={widget} opt={opt} />
      <fieldset className="row board-moves">
        <legend className="visually-hidden">Position and size</legend>
        <button type="button" onClick={() => set({ position: moveBy(p, -1, 0) })} aria-label="Move left">
          ←
        </button>
        <button type="button" onClick={() => set({ position: moveBy(p, 1, 0) })} aria-label="Move right">
          →
        </button>
        <button type="button" onClick={() => set({ position: moveBy(p, 0, -1) })} aria-label="Move up">
          ↑
        </button>
        <button type="button" onClick={() => set({ position: moveBy(p, 0, 1) })} aria-label="Move down">
          ↓
        </button>
        <button type="button" onClick={() => set({ position: resizeBy(p, 1, 0) })}>
          Wider
        </button>
        <button type="button" onClick={() => set({ position: resizeBy(p, -1, 0) })}>
          Narrower
        </button>
        <button type="button" onClick={() => set({ position: resizeBy(p, 0, 1) })}>
          Taller
        </button>
        <button type="button" onClick={() => set({ position: resizeBy(p, 0, -1) })}>
          Shorter
        </button>
        <button type="button" className="danger" onClick={onRemove}>
          Remove widget
        </button>
      </fieldset>
    </fieldset>
  );
}

function KindOptions({ widget, opt }: { widget: Widget; opt: (patch: Record<string, unknown>) => void }) {
  const num = (v: string) => (v.trim() === '' ? 0 : Number(v));
  switch (widget.kind) {
    case 'latest':
      return (
        <label>
          Unit
          <input value={widget.options.unit} maxLength={16} onChange={(e) => opt({ unit: e.target.value })} />
        </label>
      );
    case 'chart':
      return (
        <label>
          Time range
          <select value={widget.options.rangeMinutes} onChange={(e) => opt({ rangeMinutes: Number(e.target.value) })}>
            {RANGES.map((r) => (
              <option key={r.minutes} value={r.minutes}>
                {r.label}
              </option>
            ))}
          </select>
        </label>
      );
    case 'gauge':
      return (
        <>
          <label>
            Minimum
            <input type="number" value={widget.options.min} onChange={(e) => opt({ min: num(e.target.value) })} />
          </label>
          <label>
            Maximum
            <input type="number" value={widget.options.max} onChange={(e) => opt({ max: num(e.target.value) })} />
          </label>
          <label>
            Unit
            <input value={widget.options.unit} maxLength={16} onChange={(e) => opt({ unit: e.target.value })} />
          </label>
        </>
      );
    case 'alerts':
      return (
        <label className="row">
          <input
            type="checkbox"
            checked={widget.options.activeOnly}
            onChange={(e) => opt({ activeOnly: e.target.checked })}
          />{' '}
          Open and acknowledged only
        </label>
      );
    case 'devices':
      return null;
    case 'command':
      return <CommandOptions widget={widget} opt={opt} />;
  }
}

function CommandOptions({
  widget,
  opt,
}: {
  widget: Extract<Widget, { kind: 'command' }>;
  opt: (patch: Record<string, unknown>) => void;
}) {
  const [params, setParams] = useState(() => JSON.stringify(widget.options.params));
  const [bad, setBad] = useState(false);
  return (
    <>
      <label>
        Command
        <input value={widget.options.name} maxLength={64} onChange={(e) => opt({ name: e.target.value.trim() })} />
      </label>
      <label>
        Button label
        <input value={widget.options.label} maxLength={40} onChange={(e) => opt({ label: e.target.value })} />
      </label>
      <label>
        Parameters (JSON)
        <input
          value={params}
          aria-invalid={bad}
          onChange={(e) => {
            setParams(e.target.value);
            try {
              const v = JSON.parse(e.target.value || '{}') as unknown;
              const ok = typeof v === 'object' && v !== null && !Array.isArray(v);
              setBad(!ok);
              if (ok) opt({ params: v });
            } catch {
              setBad(true);
            }
          }}
        />
      </label>
    </>
  );
}
