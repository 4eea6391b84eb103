import {
  Machine,
  Outlet,
  OzoneDevice,
  OzoneDevicesData,
  OzoneEvent,
  OzoneFlushed,
  OzoneLatest,
  OzoneSummary,
  Stats,
  StatsOptions,
} from '@telemetry/api-contract';
import { latestValues, listRawEvents } from '@telemetry/timeseries';
import { z } from 'zod';
import { createAsset, getAsset } from '../../assets/service.js';
import type { ApiContext } from '../../context.js';
import { bindDevice, getDevice, listDevices } from '../../devices/repository.js';
import { cursorInHeader } from '../../http/pagination.js';
import type { RouteSpec, RouteTable } from '../../http/route-table.js';
import { deviceId, id, pageQuery, qBool, timeZone } from '../../http/validation.js';
import { writeTenant } from '../../scope.js';
import { selectDevices } from '../../telemetry/devices.js';
import { refineStatsWindow, type StatsInput, statsWindow } from '../../telemetry/schemas.js';
import type { TelemetryService } from '../../telemetry/service.js';
import { present, registerTypedAlias, type TypedAlias } from '../typed-assets.js';
import { ozoneEvent } from './present.js';
import { ozoneDevices } from './service.js';

const TAG = 'compat-ozone';
type Schema = z.ZodType;

const snakeStats = z
  .object({
    outlet_id: id.optional(),
    machine_id: id.optional(),
    device_id: deviceId.optional(),
    ...statsWindow,
    tz: timeZone.optional(),
    tenant_id: id.optional(),
  })
  .superRefine(refineStatsWindow);
const toStats = (q: z.output<typeof snakeStats>): StatsInput => ({
  outletId: q.outlet_id,
  machineId: q.machine_id,
  deviceId: q.device_id,
  granularity: q.granularity,
  start: q.start,
  end: q.end,
  days: q.days,
  cumulative: q.cumulative,
  ma: q.ma,
  compare: q.compare,
  agg: 'sum',
  tz: q.tz,
  tenantId: q.tenant_id,
});

/** The ozone seed's URLs (003_*), mapped onto the same handlers as the canonical routes. */
export function registerOzoneRoutes(table: RouteTable, ctx: ApiContext, telemetry: TelemetryService): void {
  const { store } = ctx;
  /** Every route of this seed, under its tag. */
  const add = <
    P extends Schema | undefined = undefined,
    Q extends Schema | undefined = undefined,
    B extends Schema | undefined = undefined,
  >(
    spec: Omit<RouteSpec<P, Q, B>, 'tags'>,
  ) => table.add<P, Q, B>({ ...spec, tags: [TAG] });

  const machineDecorate = async (rows: Record<string, unknown>[]) => {
    if (rows.length === 0) return rows;
    const { rows: bound } = await store.pool.query<{ asset_id: string; device_id: string }>(
      'SELECT asset_id, device_id FROM device_bindings WHERE asset_id = ANY($1::uuid[]) AND unbound_at IS NULL',
      [rows.map((r) => r.id)],
    );
    const byAsset = new Map(bound.map((b) => [b.asset_id, b.device_id]));
    return rows.map((r) => ({ ...r, device_id: byAsset.get(r.id as string) ?? null }));
  };

  const outlets: TypedAlias = {
    base: '/api/outlets',
    type: 'outlet',
    param: 'outletId',
    tag: TAG,
    label: 'Outlets',
    fields: {
      address: z.string().max(500),
      contact_person: z.string().max(200),
      total_sva: z.number().nullable(),
      average_intage_services: z.number().nullable(),
      number_of_machines: z.number().int().nullable(),
    },
    example: { name: 'Outlet Name', address: 'Address', contact_person: 'Contact Name', is_active: true },
    response: Outlet,
  };
  const machines: TypedAlias = {
    base: '/api/machines',
    type: 'machine',
    param: 'machineId',
    tag: TAG,
    label: 'Machines',
    parent: { type: 'outlet', field: 'outlet', query: 'outlet_id' },
    fields: {},
    filters: ['device_id'],
    example: { name: 'Machine Name', is_active: true },
    response: Machine,
    decorate: machineDecorate,
  };

  // static paths before the /:id ones of the same prefix
  add({
    method: 'post',
    path: '/api/machines/register/',
    summary: 'Register a device as a machine of an outlet: creates the machine and binds the device',
    access: 'devices:write',
    body: z.object({ device_id: deviceId, outlet_id: id, name: z.string().min(1).max(200) }),
    example: { device_id: 'esp32-001', outlet_id: '00000000-0000-4000-8000-000000000000', name: 'Machine A' },
    status: 201,
    response: Machine,
    handler: async ({ body, principal }) => {
      const machineId = await store.withTransaction(async (c) => {
        const device = await getDevice(c, principal, body.device_id);
        const outlet = await getAsset(c, principal, body.outlet_id, 'outlet');
        const machine = await createAsset(
          c,
          principal,
          { tenantId: outlet.tenant_id, type: 'machine', name: body.name, parentId: outlet.id },
          'outlet',
        );
        await bindDevice(c, principal, device, machine.id);
        return machine.id;
      });
      return (await machineDecorate([present(machines, await getAsset(store.pool, principal, machineId))]))[0];
    },
  });

  add({
    method: 'get',
    path: '/api/machines/unregistered/',
    summary: 'Devices of the tenant (with telemetry or not) not bound to any machine',
    response: z.array(OzoneDevice),
    access: 'devices:read',
    query: z.object({ ...pageQuery }),
    handler: async ({ query, principal, res }) => {
      const items = cursorInHeader(
        res,
        await listDevices(store.pool, principal, { ...query, status: 'all', state: 'active' }),
      );
      const ids = items.filter((d) => d.asset_id).map((d) => d.asset_id);
      const { rows } = await store.pool.query<{ id: string }>(
        `SELECT id FROM assets WHERE id = ANY($1::uuid[]) AND type = 'machine'`,
        [ids],
      );
      const machineAssets = new Set(rows.map((r) => r.id));
      return ozoneDevices(
        store.pool,
        items.filter((d) => !d.asset_id || !machineAssets.has(d.asset_id)),
      );
    },
  });

  registerTypedAlias(table, ctx, outlets);
  registerTypedAlias(table, ctx, machines);

  for (const [path, status, summary] of [
    ['/api/devices/online/', 'online', 'Devices online (connected, or heard from in the last 5 minutes)'],
    ['/api/devices/all/', 'all', 'All devices, online and offline'],
  ] as const) {
    add({
      method: 'get',
      path,
      summary,
      access: 'devices:read',
      aliasOf: `/api/devices?status=${status}`,
      response: z.array(OzoneDevice),
      query: z.object({ ...pageQuery }),
      handler: async ({ query, principal, res }) => {
        const page = await listDevices(store.pool, principal, { ...query, status });
        return ozoneDevices(store.pool, cursorInHeader(res, page));
      },
    });
  }

  add({
    method: 'get',
    path: '/api/devices-data/',
    summary: 'Devices with status and counts, for the UI',
    response: OzoneDevicesData,
    access: 'devices:read',
    query: z.object({ ...pageQuery }),
    handler: async ({ query, principal, res }) => {
      const page = await listDevices(store.pool, principal, { ...query, status: 'all' });
      const devices = await ozoneDevices(store.pool, cursorInHeader(res, page));
      return {
        devices,
        total: devices.length,
        online: devices.filter((d) => d.online).length,
        next_cursor: page.nextCursor,
      };
    },
  });

  add({
    method: 'get',
    path: '/api/events/',
    summary: 'Events of a device (or all), last N days (default 7), heartbeats optionally excluded',
    access: 'telemetry:read',
    aliasOf: '/api/telemetry/events',
    response: z.array(OzoneEvent),
    query: z.object({
      device_id: deviceId.optional(),
      days: z.coerce.number().positive().max(3660).default(7),
      exclude_status: qBool.optional(),
      limit: z.coerce.number().int().min(1).max(1000).default(500),
      cursor: z.string().max(512).optional(),
    }),
    handler: async ({ query, principal, res }) => {
      const page = await telemetry.events(principal, query.device_id ? [query.device_id] : undefined, {
        days: query.days,
        excludeStatus: query.exclude_status,
        limit: query.limit,
        cursor: query.cursor,
      });
      return cursorInHeader(res, page).map(ozoneEvent);
    },
  });

  add({
    method: 'get',
    path: '/api/events/analytics/',
    summary: 'Usage per day of a device (or all) over the last N days',
    response: Stats,
    access: 'telemetry:read',
    aliasOf: '/api/telemetry/stats',
    query: z.object({ device_id: deviceId.optional(), days: z.coerce.number().positive().max(3660).default(7) }),
    handler: async ({ query, principal }) =>
      telemetry.stats(principal, toStats(snakeStats.parse({ device_id: query.device_id, days: String(query.days) }))),
  });

  add({
    method: 'get',
    path: '/api/telemetry/summary/',
    summary: 'Latest status of a device with counts and mode',
    access: 'telemetry:read',
    aliasOf: '/api/telemetry/summary',
    response: OzoneSummary,
    query: z.object({ device_id: deviceId }),
    handler: async ({ query, principal }) => {
      const device = await getDevice(store.pool, principal, query.device_id);
      const s = await telemetry.summary(principal, device.id);
      const [shaped] = await ozoneDevices(store.pool, [device]);
      return { ...shaped, metrics: s.metrics, window: s.window };
    },
  });

  add({
    method: 'get',
    path: '/api/telemetry/latest/',
    summary: 'The most recent event of a device',
    access: 'telemetry:read',
    aliasOf: '/api/telemetry/latest',
    response: OzoneLatest,
    query: z.object({ device_id: deviceId }),
    handler: async ({ query, principal }) => {
      const sel = await selectDevices(store.pool, principal, { deviceIds: [query.device_id] });
      const page = await listRawEvents(store.pool, { tenantId: sel.tenantId, deviceId: query.device_id, limit: 1 });
      const [state] = await latestValues(store.pool, { tenantId: sel.tenantId, deviceIds: [query.device_id] });
      return {
        device_id: query.device_id,
        event: page.items[0] ? ozoneEvent(page.items[0]) : null,
        latest: state?.values ?? {},
      };
    },
  });

  add({
    method: 'get',
    path: '/api/test/stats/',
    summary: 'Usage statistics with labels and series (ozone seed names)',
    response: Stats,
    access: 'telemetry:read',
    aliasOf: '/api/telemetry/stats',
    query: snakeStats,
    handler: async ({ query, principal }) => telemetry.stats(principal, toStats(query)),
  });

  add({
    method: 'get',
    path: '/api/test/stats-options/',
    summary: 'Filter options: outlets, machines of an outlet, devices of a machine',
    response: StatsOptions,
    access: 'telemetry:read',
    aliasOf: '/api/telemetry/stats-options',
    query: z.object({ outlet_id: id.optional(), machine_id: id.optional() }),
    handler: async ({ query, principal }) =>
      telemetry.statsOptions(principal, { outletId: query.outlet_id, machineId: query.machine_id }),
  });

  add({
    method: 'get',
    path: '/api/test/stats-export.csv',
    summary: 'The statistics as CSV',
    access: 'telemetry:read',
    aliasOf: '/api/telemetry/stats-export.csv',
    query: snakeStats,
    produces: 'csv',
    handler: async ({ query, principal, res }) => telemetry.statsCsv(principal, toStats(query), res),
  });

  add({
    method: 'get',
    path: '/api/export/',
    summary: 'CSV export of a device’s (or all) events over the last N days (default 30), streamed',
    access: 'telemetry:read',
    aliasOf: '/api/telemetry/export.csv',
    query: z.object({ device_id: deviceId.optional(), days: z.coerce.number().positive().max(3660).default(30) }),
    produces: 'csv',
    handler: async ({ query, principal, res }) =>
      telemetry.exportCsv(
        principal,
        { deviceId: query.device_id ? [query.device_id] : undefined, days: query.days, tz: 'UTC' },
        res,
        30,
      ),
  });

  add({
    method: 'post',
    path: '/api/flush/',
    summary: 'Flush all telemetry of the tenant (admins only; confirm with ?confirm=<tenant name>)',
    access: 'telemetry:purge',
    aliasOf: '/api/telemetry/tenants/{tenantId}',
    response: OzoneFlushed,
    query: z.object({ confirm: z.string().max(200).optional(), tenant_id: id.optional() }),
    body: z.object({ confirm: z.string().max(200).optional() }),
    example: { confirm: 'Acme Plant' },
    handler: async ({ query, body, principal }) => {
      const tenantId = writeTenant(principal, query.tenant_id);
      const result = await telemetry.purgeTenant(principal, tenantId, query.confirm ?? body.confirm);
      return { success: true, message: `Flushed ${result.deleted} events`, ...result };
    },
  });
}
