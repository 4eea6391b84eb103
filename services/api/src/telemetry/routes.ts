import { AppError } from '@telemetry/contracts';
import {
  AGGREGATIONS,
  assertBucketCount,
  deviceSummary,
  latestValues,
  listRawEvents,
  parseBucket,
  purgeTelemetry,
  queryRollups,
} from '@telemetry/timeseries';
import { z } from 'zod';
import { audit } from '../audit.js';
import type { ApiContext } from '../context.js';
import { getDevice } from '../devices/repository.js';
import type { RouteTable } from '../http/route-table.js';
import { deviceId, id, isoTime, pageQuery, qBool, qList, timeZone } from '../http/validation.js';
import { notFound, tenantWhere } from '../scope.js';
import { csvLine, startCsv, writeWithBackpressure } from './csv.js';
import { selectDevices } from './devices.js';
import { streamRawCsv } from './export.js';
import { assertStatsBuckets, computeStats, type Granularity, OZONE_USAGE_METRICS } from './stats.js';

const DAY = 86_400_000;
const MAX_POINTS = 100_000;

/** Range from from/to, or the last `days` days (default `defaultDays`). */
export function range(
  q: { from?: Date; to?: Date; days?: number },
  now: number,
  defaultDays: number,
): { from: Date; to: Date } {
  const to = q.to ?? new Date(now);
  const from = q.from ?? new Date(to.getTime() - (q.days ?? defaultDays) * DAY);
  if (!(from < to))
    throw new AppError('VALIDATION_FAILED', '"from" must be before "to"', { details: { field: 'from' } });
  return { from, to };
}

export const EventsQuery = z.object({
  ...pageQuery,
  from: isoTime.optional(),
  to: isoTime.optional(),
  days: z.coerce.number().positive().max(3660).optional(),
  /** Leave out heartbeats/status messages. */
  excludeStatus: qBool.optional(),
  kind: qList(z.enum(['telemetry', 'event', 'status'])).optional(),
});

export const AggregateQuery = z.object({
  deviceId: qList(deviceId).optional(),
  assetId: qList(id).optional(),
  metric: qList(z.string().min(1).max(64)).optional(),
  from: isoTime,
  to: isoTime,
  /** 1m..1440m, 1h..24h, 1d..366d, 1w, 1M (calendar buckets in tz). */
  bucket: z.string().max(8).default('1h'),
  agg: qList(z.enum(AGGREGATIONS)).optional(),
  tz: timeZone.default('UTC'),
  groupBy: z.enum(['device', 'tenant']).default('device'),
  tenantId: id.optional(),
});

/** The window and shape of a stats query: the same in the canonical route and the ozone seed's snake_case ones. */
export const statsWindow = {
  granularity: z.enum(['minute', 'hour', 'day', 'month']).default('day'),
  start: isoTime.optional(),
  end: isoTime.optional(),
  days: z.coerce.number().positive().max(3660).default(7),
  cumulative: qBool.default(false),
  /** Moving-average window in buckets; 0 = off. */
  ma: z.coerce.number().int().min(0).max(365).default(0),
  compare: qBool.default(false),
};

/**
 * The bucket count of a stats window, checked while the query is parsed: before the session query
 * of the caller (route-table.ts), so a window that cannot be answered costs no database time (#15).
 */
export function refineStatsWindow(
  q: { granularity: Granularity; start?: Date; end?: Date; days: number },
  ctx: z.RefinementCtx,
): void {
  try {
    const { from, to } = range({ from: q.start, to: q.end, days: q.days }, Date.now(), 7);
    assertStatsBuckets(q.granularity, from, to);
  } catch (err) {
    // zod runs this also when a field failed already (its value is then not a Date): that issue stands
    if (err instanceof AppError) ctx.addIssue({ code: 'custom', path: ['granularity'], message: err.message });
  }
}

export const StatsQuerySchema = z
  .object({
    outletId: id.optional(),
    machineId: id.optional(),
    assetId: id.optional(),
    deviceId: deviceId.optional(),
    ...statsWindow,
    metric: qList(z.string().min(1).max(64)).optional(),
    agg: z.enum(AGGREGATIONS).default('sum'),
    tz: timeZone.optional(),
    tenantId: id.optional(),
  })
  .superRefine(refineStatsWindow);
export type StatsInput = z.output<typeof StatsQuerySchema>;

/** Telemetry reads over @telemetry/timeseries (raw events, rollups, device state), CSV export, purge. */
export function registerTelemetryRoutes(table: RouteTable, ctx: ApiContext) {
  const { store } = ctx;
  const db = store.pool;

  const events = async (
    p: Parameters<typeof selectDevices>[1],
    devices: string[] | undefined,
    q: z.output<typeof EventsQuery>,
    tenantId?: string,
  ) => {
    const sel = await selectDevices(db, p, { deviceIds: devices, tenantId });
    if (sel.deviceIds?.length === 0) return { items: [], nextCursor: null };
    const { from, to } = q.from || q.days ? range(q, ctx.now(), 7) : { from: undefined, to: q.to };
    return listRawEvents(db, {
      tenantId: sel.tenantId,
      deviceIds: sel.deviceIds,
      from,
      to,
      kinds: q.kind,
      excludeStatus: q.excludeStatus,
      limit: q.limit,
      cursor: q.cursor,
    });
  };

  table.add({
    method: 'get',
    path: '/api/devices/:deviceId/events',
    summary: 'A device’s stored events, newest first (range or last N days; heartbeats can be left out)',
    tags: ['telemetry'],
    access: 'telemetry:read',
    params: z.object({ deviceId }),
    query: EventsQuery,
    handler: async ({ params, query, principal }) => events(principal, [params.deviceId], query),
  });

  table.add({
    method: 'get',
    path: '/api/telemetry/events',
    summary: 'Stored events of a device or of every visible device, newest first',
    tags: ['telemetry'],
    access: 'telemetry:read',
    query: EventsQuery.extend({ deviceId: qList(deviceId).optional(), tenantId: id.optional() }),
    handler: async ({ query, principal }) => events(principal, query.deviceId, query, query.tenantId),
  });

  const latest = async (p: Parameters<typeof selectDevices>[1], devices: string[] | undefined, tenantId?: string) => {
    const sel = await selectDevices(db, p, { deviceIds: devices, tenantId });
    if (sel.deviceIds?.length === 0) return [];
    return latestValues(db, { tenantId: sel.tenantId, deviceIds: sel.deviceIds });
  };

  table.add({
    method: 'get',
    path: '/api/telemetry/latest',
    summary: 'Latest value of every metric per device (by device time)',
    tags: ['telemetry'],
    access: 'telemetry:read',
    query: z.object({ deviceId: qList(deviceId).optional(), tenantId: id.optional() }),
    handler: async ({ query, principal }) => ({
      items: await latest(principal, query.deviceId, query.tenantId),
      nextCursor: null,
    }),
  });

  const summary = async (p: Parameters<typeof selectDevices>[1], device: string, days?: number) => {
    const sel = await selectDevices(db, p, { deviceIds: [device] });
    return deviceSummary(db, { tenantId: sel.tenantId, deviceId: device, days });
  };

  table.add({
    method: 'get',
    path: '/api/telemetry/summary',
    summary: 'One device at a glance: latest state and per-metric figures over the last N days',
    tags: ['telemetry'],
    access: 'telemetry:read',
    query: z.object({ deviceId, days: z.coerce.number().positive().max(3660).optional() }),
    handler: async ({ query, principal }) => summary(principal, query.deviceId, query.days),
  });

  table.add({
    method: 'get',
    path: '/api/telemetry/aggregate',
    summary: 'Time series over the rollups: start, end, bucket (1m..1 month), aggregation(s), time zone',
    tags: ['telemetry'],
    access: 'telemetry:read',
    query: AggregateQuery,
    handler: async ({ query, principal }) => {
      const bucket = parseBucket(query.bucket);
      assertBucketCount(bucket, query.from, query.to, { max: MAX_POINTS });
      const sel = await selectDevices(db, principal, {
        deviceIds: query.deviceId,
        assetIds: query.assetId,
        tenantId: query.tenantId,
      });
      if (sel.deviceIds?.length === 0) return { items: [] };
      const items = await queryRollups(db, {
        tenantId: sel.tenantId,
        from: query.from,
        to: query.to,
        bucket,
        timeZone: query.tz,
        deviceIds: sel.deviceIds,
        metrics: query.metric,
        aggregations: query.agg,
        groupBy: query.groupBy,
      });
      return { items };
    },
  });

  const stats = async (p: Parameters<typeof selectDevices>[1], q: StatsInput) => {
    // bounded before any query (#15): a refusal costs no database time
    const { from, to } = range({ from: q.start, to: q.end, days: q.days }, ctx.now(), 7);
    assertStatsBuckets(q.granularity, from, to);
    const assetIds = [q.machineId, q.outletId, q.assetId].filter((x): x is string => Boolean(x));
    const selection = await selectDevices(db, p, {
      deviceIds: q.deviceId ? [q.deviceId] : undefined,
      assetIds: assetIds.length ? [assetIds[0] as string] : undefined,
      tenantId: q.tenantId,
    });
    const tz = q.tz ?? (await tenantZone(selection.tenantId));
    return computeStats(db, {
      selection,
      granularity: q.granularity,
      start: from,
      end: to,
      tz,
      metrics: q.metric ?? OZONE_USAGE_METRICS,
      agg: q.agg,
      cumulative: q.cumulative,
      ma: q.ma,
      compare: q.compare,
    });
  };

  const tenantZone = async (tenantId: string) => {
    const { rows } = await db.query<{ timezone: string }>('SELECT timezone FROM tenants WHERE id = $1', [tenantId]);
    return rows[0]?.timezone ?? 'UTC';
  };

  table.add({
    method: 'get',
    path: '/api/telemetry/stats',
    summary:
      'Usage statistics (the ozone seed’s): granularity, cumulative, moving average, compare with the previous period',
    tags: ['telemetry'],
    access: 'telemetry:read',
    query: StatsQuerySchema,
    handler: async ({ query, principal }) => stats(principal, query),
  });

  const statsCsv = async (
    p: Parameters<typeof selectDevices>[1],
    q: StatsInput,
    res: Parameters<typeof startCsv>[0],
  ) => {
    const s = await stats(p, q);
    startCsv(res, `stats-${q.granularity}.csv`);
    const prev = s.previous;
    let text = csvLine([
      'bucket',
      ...s.series.map((x) => x.name),
      ...(prev ? prev.series.map((x) => `previous_${x.name}`) : []),
    ]);
    s.labels.forEach((label, i) => {
      text += csvLine([
        label,
        ...s.series.map((x) => x.data[i]),
        ...(prev ? prev.series.map((x) => x.data[i] ?? '') : []),
      ]);
    });
    await writeWithBackpressure(res, text);
    res.end();
  };

  table.add({
    method: 'get',
    path: '/api/telemetry/stats-export.csv',
    summary: 'The statistics as CSV (same filters)',
    tags: ['telemetry'],
    access: 'telemetry:read',
    query: StatsQuerySchema,
    produces: 'csv',
    handler: async ({ query, principal, res }) => statsCsv(principal, query, res),
  });

  const statsOptions = async (p: Parameters<typeof selectDevices>[1], q: { outletId?: string; machineId?: string }) => {
    const params: unknown[] = [];
    const scope = tenantWhere(p, 'a.tenant_id', params);
    const vis =
      p.role === 'viewer'
        ? ` AND a.id IN (SELECT asset_id FROM user_visible_assets($${params.push(p.userId)}::uuid))`
        : '';
    const { rows: outlets } = await db.query<{ id: string; name: string }>(
      `SELECT a.id, a.name FROM assets a WHERE ${scope}${vis} AND a.type = 'outlet' ORDER BY a.name LIMIT 1000`,
      params,
    );
    const mParams = [...params];
    const outletFilter = q.outletId ? ` AND a.parent_id = $${mParams.push(q.outletId)}` : '';
    const { rows: machines } = await db.query<{ id: string; name: string; parent_id: string | null }>(
      `SELECT a.id, a.name, a.parent_id FROM assets a WHERE ${scope}${vis} AND a.type = 'machine'${outletFilter} ORDER BY a.name LIMIT 1000`,
      mParams,
    );
    const assetIds = q.machineId ? [q.machineId] : q.outletId ? [q.outletId] : undefined;
    const sel = await selectDevices(db, p, { assetIds }).catch((err) => {
      if (err instanceof AppError && err.code === 'VALIDATION_FAILED')
        return { deviceIds: [] as string[], tenantId: '' };
      throw err;
    });
    const dParams: unknown[] = [];
    const dScope = tenantWhere(p, 'd.tenant_id', dParams);
    const idFilter = sel.deviceIds ? ` AND d.id = ANY($${dParams.push(sel.deviceIds)}::text[])` : '';
    const { rows: devices } = await db.query<{ id: string; name: string; asset_id: string | null }>(
      `SELECT d.id, d.name, d.asset_id FROM devices d WHERE ${dScope}${idFilter} AND d.state = 'active' ORDER BY d.id LIMIT 1000`,
      dParams,
    );
    return {
      outlets,
      machines: machines.map((m) => ({ id: m.id, name: m.name, outletId: m.parent_id })),
      devices: devices.map((d) => ({ id: d.id, name: d.name, machineId: d.asset_id })),
      granularities: ['minute', 'hour', 'day', 'month'],
    };
  };

  table.add({
    method: 'get',
    path: '/api/telemetry/stats-options',
    summary: 'Filter options of the statistics: outlets, machines of an outlet, devices of a machine',
    tags: ['telemetry'],
    access: 'telemetry:read',
    query: z.object({ outletId: id.optional(), machineId: id.optional() }),
    handler: async ({ query, principal }) => statsOptions(principal, query),
  });

  const exportCsv = async (
    p: Parameters<typeof selectDevices>[1],
    q: {
      deviceId?: string[];
      from?: Date;
      to?: Date;
      days?: number;
      bucket?: string;
      tz: string;
      excludeStatus?: boolean;
      tenantId?: string;
    },
    res: Parameters<typeof startCsv>[0],
    defaultDays: number,
  ) => {
    const sel = await selectDevices(db, p, { deviceIds: q.deviceId, tenantId: q.tenantId });
    const { from, to } = range(q, ctx.now(), defaultDays);
    const name = `${q.deviceId?.length === 1 ? q.deviceId[0] : 'telemetry'}-${from.toISOString().slice(0, 10)}.csv`;
    if (!q.bucket) {
      await streamRawCsv(db, res, {
        tenantId: sel.tenantId,
        deviceIds: sel.deviceIds,
        from,
        to,
        excludeStatus: q.excludeStatus ?? false,
        filename: name,
      });
      return;
    }
    const bucket = parseBucket(q.bucket);
    assertBucketCount(bucket, from, to, { max: MAX_POINTS });
    const points =
      sel.deviceIds?.length === 0
        ? []
        : await queryRollups(db, {
            tenantId: sel.tenantId,
            from,
            to,
            bucket,
            timeZone: q.tz,
            deviceIds: sel.deviceIds,
          });
    startCsv(res, name);
    const aggs = ['avg', 'min', 'max', 'sum', 'count', 'last'] as const;
    if (!(await writeWithBackpressure(res, csvLine(['bucket', 'device_id', 'metric', ...aggs])))) return;
    for (let i = 0; i < points.length; i += 1000) {
      const text = points
        .slice(i, i + 1000)
        .map((pt) => csvLine([pt.bucket, pt.deviceId, pt.metric, ...aggs.map((a) => pt.values[a])]))
        .join('');
      if (!(await writeWithBackpressure(res, text))) return;
    }
    res.end();
  };

  table.add({
    method: 'get',
    path: '/api/telemetry/export.csv',
    summary: 'CSV export, streamed in bounded memory: raw events, or rollups when bucket is given',
    tags: ['telemetry'],
    access: 'telemetry:read',
    query: z.object({
      deviceId: qList(deviceId).optional(),
      from: isoTime.optional(),
      to: isoTime.optional(),
      days: z.coerce.number().positive().max(3660).optional(),
      bucket: z.string().max(8).optional(),
      tz: timeZone.default('UTC'),
      excludeStatus: qBool.optional(),
      tenantId: id.optional(),
    }),
    produces: 'csv',
    handler: async ({ query, principal, res }) => exportCsv(principal, query, res, 30),
  });

  const purgeDevice = async (p: Parameters<typeof selectDevices>[1], device: string, confirm: string | undefined) => {
    const d = await getDevice(db, p, device);
    if (!d.tenant_id) throw notFound('device');
    if (confirm !== d.id) {
      throw new AppError('VALIDATION_FAILED', `Purging cannot be undone: repeat the device id as ?confirm=${d.id}`, {
        details: { field: 'confirm' },
      });
    }
    return store.withTransaction(async (client) => {
      const deleted = await purgeTelemetry(client, d.tenant_id as string, d.id);
      await audit(client, p, {
        action: 'purge',
        entity: 'device',
        entityId: d.id,
        tenantId: d.tenant_id,
        details: { deleted },
      });
      return { deviceId: d.id, deleted };
    });
  };

  table.add({
    method: 'delete',
    path: '/api/telemetry/devices/:deviceId',
    summary: 'Purge every stored reading and event of a device (admins; ?confirm=<device id>)',
    tags: ['telemetry'],
    access: 'telemetry:purge',
    params: z.object({ deviceId }),
    query: z.object({ confirm: z.string().max(200).optional() }),
    handler: async ({ params, query, principal }) => purgeDevice(principal, params.deviceId, query.confirm),
  });

  const purgeTenant = async (p: Parameters<typeof selectDevices>[1], tenantId: string, confirm: string | undefined) => {
    const params: unknown[] = [tenantId];
    const { rows } = await db.query<{ id: string; name: string }>(
      `SELECT t.id, t.name FROM tenants t WHERE t.id = $1 AND ${tenantWhere(p, 't.id', params)}`,
      params,
    );
    const tenant = rows[0];
    if (!tenant) throw notFound('tenant');
    if (confirm !== tenant.name) {
      throw new AppError(
        'VALIDATION_FAILED',
        `Purging cannot be undone: repeat the tenant name as ?confirm=${tenant.name}`,
        {
          details: { field: 'confirm' },
        },
      );
    }
    return store.withTransaction(async (client) => {
      const deleted = await purgeTelemetry(client, tenant.id, null);
      await audit(client, p, {
        action: 'purge',
        entity: 'tenant',
        entityId: tenant.id,
        tenantId: tenant.id,
        details: { deleted },
      });
      return { tenantId: tenant.id, deleted };
    });
  };

  table.add({
    method: 'delete',
    path: '/api/telemetry/tenants/:tenantId',
    summary: 'Purge every stored reading and event of a tenant (its admins; ?confirm=<tenant name>)',
    tags: ['telemetry'],
    access: 'telemetry:purge',
    params: z.object({ tenantId: id }),
    query: z.object({ confirm: z.string().max(200).optional() }),
    handler: async ({ params, query, principal }) => purgeTenant(principal, params.tenantId, query.confirm),
  });

  return { events, latest, summary, stats, statsCsv, statsOptions, exportCsv, purgeTenant };
}

export type TelemetryHandlers = ReturnType<typeof registerTelemetryRoutes>;
