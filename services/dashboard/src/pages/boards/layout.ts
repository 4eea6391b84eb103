import type { DashboardLayout, Widget } from '@telemetry/api-contract';

/**
 * A dashboard's layout as the builder edits it: the shape the API's contract (@telemetry/api-contract
 * dashboards.ts) validates (12-column grid, at most 24 widgets). Pure functions, so the builder's
 * moves are unit tested without a DOM.
 */
export const COLUMNS = 12;
export const MAX_WIDGETS = 24;
const MAX_ROWS = 100;

/** The contract's types (`import type`: no zod in the bundle). */
export type Layout = DashboardLayout;
export type { Widget };
export type WidgetKind = Widget['kind'];
type Position = Widget['position'];

export const KINDS: ReadonlyArray<{ kind: WidgetKind; label: string; size: { w: number; h: number } }> = [
  { kind: 'latest', label: 'Latest value', size: { w: 3, h: 2 } },
  { kind: 'chart', label: 'Chart', size: { w: 6, h: 4 } },
  { kind: 'gauge', label: 'Gauge', size: { w: 3, h: 3 } },
  { kind: 'alerts', label: 'Alert list', size: { w: 6, h: 3 } },
  { kind: 'devices', label: 'Device table', size: { w: 6, h: 4 } },
  { kind: 'command', label: 'Command button', size: { w: 3, h: 2 } },
];

function overlaps(a: Position, b: Position): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

/** The first free place (row by row, left to right) for a w×h widget. */
export function firstFree(widgets: readonly Widget[], w: number, h: number): Position {
  for (let y = 0; y < MAX_ROWS; y++) {
    for (let x = 0; x + w <= COLUMNS; x++) {
      const p = { x, y, w, h };
      if (!widgets.some((o) => overlaps(p, o.position))) return p;
    }
  }
  return { x: 0, y: MAX_ROWS - h, w, h };
}

/** A new widget of a kind, bound to `deviceId` when the kind needs one, at the first free place. */
export function newWidget(kind: WidgetKind, widgets: readonly Widget[], deviceId: string, id: string): Widget {
  const size = KINDS.find((k) => k.kind === kind)?.size ?? { w: 3, h: 2 };
  const base = { id, title: '', position: firstFree(widgets, size.w, size.h) };
  switch (kind) {
    case 'latest':
      return { ...base, kind, binding: { deviceId, metric: '' }, options: { unit: '', decimals: 2 } };
    case 'chart':
      return { ...base, kind, binding: { deviceId, metric: '' }, options: { rangeMinutes: 60 } };
    case 'gauge':
      return { ...base, kind, binding: { deviceId, metric: '' }, options: { min: 0, max: 100, unit: '' } };
    case 'alerts':
      return { ...base, kind, binding: deviceId ? { deviceId } : {}, options: { limit: 10, activeOnly: true } };
    case 'devices':
      return { ...base, kind, binding: {}, options: { limit: 20 } };
    case 'command':
      return { ...base, kind, binding: { deviceId }, options: { name: 'reboot', params: {}, label: '' } };
  }
}

/** Moves by (dx, dy) cells, kept on the grid. */
export function moveBy(p: Position, dx: number, dy: number): Position {
  return {
    ...p,
    x: Math.min(COLUMNS - p.w, Math.max(0, p.x + dx)),
    y: Math.min(MAX_ROWS - 1, Math.max(0, p.y + dy)),
  };
}

/** Grows or shrinks by (dw, dh) cells, kept on the grid (1..12 wide, 1..12 high). */
export function resizeBy(p: Position, dw: number, dh: number): Position {
  return {
    ...p,
    w: Math.min(COLUMNS - p.x, Math.max(1, p.w + dw)),
    h: Math.min(12, Math.max(1, p.h + dh)),
  };
}

export function replaceWidget(layout: Layout, next: Widget): Layout {
  return { widgets: layout.widgets.map((w) => (w.id === next.id ? next : w)) };
}

/** The device and asset rooms a board needs live updates of (Socket.IO subscriptions). */
export function boundScopes(layout: Layout): { devices: string[]; assets: string[]; unbound: boolean } {
  const devices = new Set<string>();
  const assets = new Set<string>();
  let unbound = false;
  for (const w of layout.widgets) {
    const b = w.binding as { deviceId?: string; assetId?: string };
    if (b.deviceId) devices.add(b.deviceId);
    else if (b.assetId) assets.add(b.assetId);
    else unbound = true;
  }
  return { devices: [...devices], assets: [...assets], unbound };
}

/** What the builder must fix before saving (the API would refuse it, with less context). */
export function problems(layout: Layout): string[] {
  const out: string[] = [];
  layout.widgets.forEach((w, i) => {
    const name = w.title || `${KINDS.find((k) => k.kind === w.kind)?.label ?? w.kind} ${i + 1}`;
    const b = w.binding as { deviceId?: string; metric?: string };
    if ((w.kind === 'latest' || w.kind === 'chart' || w.kind === 'gauge' || w.kind === 'command') && !b.deviceId)
      out.push(`${name}: choose a device`);
    if ((w.kind === 'latest' || w.kind === 'chart' || w.kind === 'gauge') && !b.metric)
      out.push(`${name}: choose a metric`);
    if (w.kind === 'gauge' && !(w.options.min < w.options.max)) out.push(`${name}: min must be below max`);
  });
  return out;
}
