import { z } from 'zod';
import { isoString } from './common.js';

/**
 * Dashboards people compose (#21). The layout is both what a save sends (services/api validates
 * the body with it, defaults filled in) and what a read answers, so it is described once, here:
 * widgets on a 12-column grid, each of one kind, bound to a device, an asset or a metric. Every
 * part is bounded (widget count, string lengths, grid extent), so a stored layout stays small.
 */
const COLUMNS = 12;
const MAX_WIDGETS = 24;
const MAX_ROWS = 100;

// as services/api's `deviceId` and `id` (http/validation.ts): this package has no server code
const deviceId = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/,
    'device ids are 1-128 of A-Z a-z 0-9 _ . : - (not starting with a symbol)',
  );
const uuid = z.guid();
const metric = z.string().min(1).max(64);

/** Where a widget sits: columns x..x+w-1 (0-based) of 12, rows y..y+h-1. */
const Position = z
  .object({
    x: z
      .number()
      .int()
      .min(0)
      .max(COLUMNS - 1),
    y: z
      .number()
      .int()
      .min(0)
      .max(MAX_ROWS - 1),
    w: z.number().int().min(1).max(COLUMNS),
    h: z.number().int().min(1).max(12),
  })
  .refine((p) => p.x + p.w <= COLUMNS, { message: `a widget ends at column ${COLUMNS} at the latest` });

const base = {
  /** The client's id of the widget within the layout (React keys, test selectors). */
  id: z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, '1-40 of A-Z a-z 0-9 _ -'),
  title: z.string().max(80).default(''),
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
  binding: z.object({ deviceId: deviceId.optional(), assetId: uuid.optional() }).default({}),
  options: z
    .object({ limit: z.number().int().min(1).max(50).default(10), activeOnly: z.boolean().default(true) })
    .default({ limit: 10, activeOnly: true }),
});

const Devices = z.object({
  ...base,
  kind: z.literal('devices'),
  /** The devices on an asset (and below it), or every device the reader sees. */
  binding: z.object({ assetId: uuid.optional(), metric: metric.optional() }).default({}),
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

export const Widget = z.discriminatedUnion('kind', [Latest, Chart, Gauge, Alerts, Devices, Command]);
export type Widget = z.output<typeof Widget>;

export const DashboardLayout = z
  .object({ widgets: z.array(Widget).max(MAX_WIDGETS) })
  .refine((l) => new Set(l.widgets.map((w) => w.id)).size === l.widgets.length, {
    message: 'widget ids must be unique',
    path: ['widgets'],
  });
export type DashboardLayout = z.output<typeof DashboardLayout>;

const fields = {
  id: z.string(),
  tenantId: z.string(),
  name: z.string(),
  description: z.string(),
  /** Grows on every save; a save names the version it edited (409 when someone saved since). */
  version: z.number(),
  createdBy: z.string().nullable(),
  updatedBy: z.string().nullable(),
  createdAt: isoString,
  updatedAt: isoString,
};

/** GET/POST /api/dashboards, GET/PUT /api/dashboards/{dashboardId}. */
export const Dashboard = z.object({ ...fields, layout: DashboardLayout });
export type Dashboard = z.output<typeof Dashboard>;

/** An item of GET /api/dashboards: the layout's widget count instead of the layout. */
export const DashboardSummary = z.object({ ...fields, widgets: z.number() });
export type DashboardSummary = z.output<typeof DashboardSummary>;
