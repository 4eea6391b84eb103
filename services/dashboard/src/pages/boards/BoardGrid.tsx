import type { CSSProperties, ReactNode } from 'react';
import type { Device } from '../../api/types.js';
import { Empty } from '../../components/ui.js';
import { browserTimeZone } from '../../lib/time.js';
import type { Picks } from './Board.js';
import { ChartWidget } from './ChartWidget.js';
import { KINDS, type Layout, replaceWidget, type Widget } from './layout.js';
import { useBoardLive } from './use-board-live.js';
import { WidgetEditor } from './WidgetEditor.js';
import { AlertsWidget, CommandWidget, DevicesWidget, GaugeWidget, LatestWidget } from './widgets.js';

/**
 * The widgets on the 12-column grid (styles.css .board-grid; one column on a phone). With `picks`
 * (the builder is open) each widget carries its editor.
 */
export function BoardGrid({
  layout,
  picks,
  onLayout,
}: {
  layout: Layout;
  picks: Picks | null;
  onLayout: (l: Layout) => void;
}) {
  const { devices, missing } = useBoardLive(layout);
  const timeZone = browserTimeZone();
  if (layout.widgets.length === 0)
    return (
      <Empty title="No widgets yet">
        <p>{picks ? 'Choose a widget kind above and add it.' : 'A manager adds widgets with Edit dashboard.'}</p>
      </Empty>
    );
  return (
    <>
      <div className="board-grid">
        {layout.widgets.map((w) => {
          const deviceId = (w.binding as { deviceId?: string }).deviceId;
          const device = deviceId ? devices.get(deviceId) : undefined;
          const p = w.position;
          return (
            <section
              key={w.id}
              className="panel board-widget"
              data-widget-id={w.id}
              data-widget-kind={w.kind}
              aria-label={titleOf(w, device)}
              style={
                {
                  '--board-col': `${p.x + 1} / span ${p.w}`,
                  '--board-row': `${p.y + 1} / span ${p.h}`,
                } as CSSProperties
              }
            >
              <h2 className="board-widget-title">{titleOf(w, device)}</h2>
              {deviceId && missing.has(deviceId) ? (
                <p className="muted">This device is not visible to you.</p>
              ) : (
                renderWidget(w, device, timeZone)
              )}
              {picks ? (
                <WidgetEditor
                  widget={w}
                  devices={picks.devices}
                  assets={picks.assets}
                  onChange={(next) => onLayout(replaceWidget(layout, next))}
                  onRemove={() => onLayout({ widgets: layout.widgets.filter((x) => x.id !== w.id) })}
                />
              ) : null}
            </section>
          );
        })}
      </div>
      <p className="muted">Times in {timeZone}.</p>
    </>
  );
}

function titleOf(w: Widget, device: Device | undefined): string {
  if (w.title) return w.title;
  const kind = KINDS.find((k) => k.kind === w.kind)?.label ?? w.kind;
  const metric = (w.binding as { metric?: string }).metric;
  const where = device ? device.name || device.id : '';
  return [kind, metric, where].filter(Boolean).join(' · ');
}

function renderWidget(w: Widget, device: Device | undefined, timeZone: string): ReactNode {
  const b = w.binding as { deviceId?: string; metric?: string };
  if ((w.kind === 'latest' || w.kind === 'chart' || w.kind === 'gauge') && (!b.deviceId || !b.metric))
    return <p className="muted">Bind a device and a metric.</p>;
  switch (w.kind) {
    case 'latest':
      return <LatestWidget widget={w} device={device} timeZone={timeZone} />;
    case 'chart':
      return <ChartWidget widget={w} device={device} timeZone={timeZone} />;
    case 'gauge':
      return <GaugeWidget widget={w} device={device} timeZone={timeZone} />;
    case 'alerts':
      return <AlertsWidget widget={w} device={device} timeZone={timeZone} />;
    case 'devices':
      return <DevicesWidget widget={w} device={device} timeZone={timeZone} />;
    case 'command':
      return b.deviceId ? (
        <CommandWidget widget={w} device={device} timeZone={timeZone} />
      ) : (
        <p className="muted">Bind a device.</p>
      );
  }
}
