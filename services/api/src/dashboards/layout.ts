import { z } from 'zod';
import { deviceId, id } from '../http/validation.js';

/**
 * A dashboard's layout (#21): widgets on a 12-column grid, each of one kind, bound to a device, an
 * asset or a metric. Everything is bounded (widget count, string lengths, grid extent), so a stored
 * layout is small whatever a client sends; the builder in services/dashboard/src/pages/boards edits
 * exactly this shape.
 */
const GRID_COLUMNS = 12;
const MAX_WIDGETS = 24;
const MAX_ROWS = 100;

const metric = z.string().min(1).max(64);
const title = z.string().max(80).default('');

/** Where a widget sits: columns x..x+w-1 (0-based) of 12, rows y..y+h-1. */
const Position = z
  .object({
    x: z
      .number()
      .int()
      .min(0)
      .max(GRID_COLUMNS - 1),
    y: z
      .number()
      .int()
      .min(0)
      .max(MAX_ROWS - 1),
    w: z.number().int().min(1).max(GRID_COLUMNS),
    h: z.number().int().min(1).max(12),
  })
  .refine((p) => p.x + p.w <= GRID_COLUMNS, { message: `a widget ends at column ${GRID_COLUMNS} at the latest` });

const base = {
  /** The client's id of the widget within the layout (React keys, test selectors). */
  id: z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, '1-40 of A-Z a-z 0-9 _ -'),
  title,
  position: Position,
};

const deviceMetric = z.object({ deviceId, metric });

const Latest = z.object({
  ...base,
  kind: z.literal('latest'),
  binding: deviceMetric,
  options: z
    .object({ unit: z.string().max(16).default(''), decimals: z.number().int().min(0).max(6).default(2) })
    .default({ unit: '', decimals: 2 }),
});

const Chart = z.object({
  ...base,
  kind: z.literal('chart'),
  binding: deviceMetric,
  options: z
    .object({
      /** The visible window, ending now; the bucket follows it (the rollups, never raw rows). */
      rangeMinutes: z
        .number()
        .int()
        .min(15)
        .max(366 * 24 * 60)
        .default(60),
    })
    .default({ rangeMinutes: 60 }),
});

const Gauge = z.object({
  ...base,
  kind: z.literal('gauge'),
  binding: deviceMetric,
  options: z
    .object({ min: z.number().finite(), max: z.number().finite(), unit: z.string().max(16).default('') })
    .refine((o) => o.min < o.max, { message: 'min must be below max' }),
});

const Alerts = z.object({
  ...base,
  kind: z.literal('alerts'),
  /** The alerts of a device, of an asset's subtree, or (neither) of the whole tenant the reader sees. */
  binding: z.object({ deviceId: deviceId.optional(), assetId: id.optional() }).default({}),
  options: z
    .object({ limit: z.number().int().min(1).max(50).default(10), activeOnly: z.boolean().default(true) })
    .default({ limit: 10, activeOnly: true }),
});

const Devices = z.object({
  ...base,
  kind: z.literal('devices'),
  /** The devices on an asset (and below it), or every device the reader sees. */
  binding: z.object({ assetId: id.optional(), metric: metric.optional() }).default({}),
  options: z.object({ limit: z.number().int().min(1).max(100).default(20) }).default({ limit: 20 }),
});

const Command = z.object({
  ...base,
  kind: z.literal('command'),
  binding: z.object({ deviceId }),
  /** Sent through POST /api/devices/{id}/commands (managers and admins; the API decides). */
  options: z.object({
    name: z.string().regex(/^[A-Za-z][A-Za-z0-9_.:-]{0,63}$/, 'a command name: letters, digits, _ . : -'),
    params: z.record(z.string().max(64), z.union([z.string().max(200), z.number(), z.boolean()])).default({}),
    label: z.string().max(40).default(''),
  }),
});

const Widget = z.discriminatedUnion('kind', [Latest, Chart, Gauge, Alerts, Devices, Command]);

export const Layout = z
  .object({ widgets: z.array(Widget).max(MAX_WIDGETS) })
  .refine((l) => new Set(l.widgets.map((w) => w.id)).size === l.widgets.length, {
    message: 'widget ids must be unique',
    path: ['widgets'],
  });
export type Layout = z.output<typeof Layout>;

/** The devices and assets a layout names: the service checks they are the tenant's before saving. */
export function boundIds(layout: Layout): { devices: string[]; assets: string[] } {
  const devices = new Set<string>();
  const assets = new Set<string>();
  for (const w of layout.widgets) {
    const b = w.binding as { deviceId?: string; assetId?: string };
    if (b.deviceId) devices.add(b.deviceId);
    if (b.assetId) assets.add(b.assetId);
  }
  return { devices: [...devices], assets: [...assets] };
}
