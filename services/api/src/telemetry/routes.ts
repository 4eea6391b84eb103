import {
  DeviceEventPage,
  DeviceLatestPage,
  DevicePurged,
  DeviceSummary,
  SeriesPoints,
  Stats,
  StatsOptions,
  TenantPurged,
} from '@telemetry/api-contract';
import { z } from 'zod';
import type { RouteTable } from '../http/route-table.js';
import { deviceId, id, qList } from '../http/validation.js';
import { AggregateQuery, EventsQuery, ExportQuery, StatsQuerySchema } from './schemas.js';
import type { TelemetryService } from './service.js';

const TAGS = ['telemetry'];
const confirm = z.object({ confirm: z.string().max(200).optional() });

/** Telemetry reads over @telemetry/timeseries (raw events, rollups, device state), CSV export, purge: the transport. */
export function registerTelemetryRoutes(table: RouteTable, telemetry: TelemetryService): void {
  table.add({
    method: 'get',
    path: '/api/devices/:deviceId/events',
    summary: 'A device’s stored events, newest first (range or last N days; heartbeats can be left out)',
    tags: TAGS,
    access: 'telemetry:read',
    params: z.object({ deviceId }),
    query: EventsQuery,
    response: DeviceEventPage,
    handler: async ({ params, query, principal }) => telemetry.events(principal, [params.deviceId], query),
  });

  table.add({
    method: 'get',
    path: '/api/telemetry/events',
    summary: 'Stored events of a device or of every visible device, newest first',
    tags: TAGS,
    access: 'telemetry:read',
    query: EventsQuery.extend({ deviceId: qList(deviceId).optional(), tenantId: id.optional() }),
    response: DeviceEventPage,
    handler: async ({ query, principal }) => telemetry.events(principal, query.deviceId, query, query.tenantId),
  });

  table.add({
    method: 'get',
    path: '/api/telemetry/latest',
    summary: 'Latest value of every metric per device (by device time)',
    tags: TAGS,
    access: 'telemetry:read',
    query: z.object({ deviceId: qList(deviceId).optional(), tenantId: id.optional() }),
    response: DeviceLatestPage,
    handler: async ({ query, principal }) => ({
      items: await telemetry.latest(principal, query.deviceId, query.tenantId),
      nextCursor: null,
    }),
  });

  table.add({
    method: 'get',
    path: '/api/telemetry/summary',
    summary: 'One device at a glance: latest state and per-metric figures over the last N days',
    tags: TAGS,
    access: 'telemetry:read',
    query: z.object({ deviceId, days: z.coerce.number().positive().max(3660).optional() }),
    response: DeviceSummary,
    handler: async ({ query, principal }) => telemetry.summary(principal, query.deviceId, query.days),
  });

  table.add({
    method: 'get',
    path: '/api/telemetry/aggregate',
    summary: 'Time series over the rollups: start, end, bucket (1m..1 month), aggregation(s), time zone',
    tags: TAGS,
    access: 'telemetry:read',
    query: AggregateQuery,
    response: SeriesPoints,
    handler: async ({ query, principal }) => ({ items: await telemetry.aggregate(principal, query) }),
  });

  table.add({
    method: 'get',
    path: '/api/telemetry/stats',
    summary:
      'Usage statistics (the ozone seed’s): granularity, cumulative, moving average, compare with the previous period',
    tags: TAGS,
    access: 'telemetry:read',
    query: StatsQuerySchema,
    response: Stats,
    handler: async ({ query, principal }) => telemetry.stats(principal, query),
  });

  table.add({
    method: 'get',
    path: '/api/telemetry/stats-export.csv',
    summary: 'The statistics as CSV (same filters)',
    tags: TAGS,
    access: 'telemetry:read',
    query: StatsQuerySchema,
    produces: 'csv',
    handler: async ({ query, principal, res }) => telemetry.statsCsv(principal, query, res),
  });

  table.add({
    method: 'get',
    path: '/api/telemetry/stats-options',
    summary: 'Filter options of the statistics: outlets, machines of an outlet, devices of a machine',
    tags: TAGS,
    access: 'telemetry:read',
    query: z.object({ outletId: id.optional(), machineId: id.optional() }),
    response: StatsOptions,
    handler: async ({ query, principal }) => telemetry.statsOptions(principal, query),
  });

  table.add({
    method: 'get',
    path: '/api/telemetry/export.csv',
    summary: 'CSV export, streamed in bounded memory: raw events, or rollups when bucket is given',
    tags: TAGS,
    access: 'telemetry:read',
    query: ExportQuery,
    produces: 'csv',
    handler: async ({ query, principal, res }) => telemetry.exportCsv(principal, query, res, 30),
  });

  table.add({
    method: 'delete',
    path: '/api/telemetry/devices/:deviceId',
    summary: 'Purge every stored reading and event of a device (admins; ?confirm=<device id>)',
    tags: TAGS,
    access: 'telemetry:purge',
    params: z.object({ deviceId }),
    query: confirm,
    response: DevicePurged,
    handler: async ({ params, query, principal }) => telemetry.purgeDevice(principal, params.deviceId, query.confirm),
  });

  table.add({
    method: 'delete',
    path: '/api/telemetry/tenants/:tenantId',
    summary: 'Purge every stored reading and event of a tenant (its admins; ?confirm=<tenant name>)',
    tags: TAGS,
    access: 'telemetry:purge',
    params: z.object({ tenantId: id }),
    query: confirm,
    response: TenantPurged,
    handler: async ({ params, query, principal }) => telemetry.purgeTenant(principal, params.tenantId, query.confirm),
  });
}
