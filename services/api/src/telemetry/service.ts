import type { Principal } from '@telemetry/auth';
import { AppError } from '@telemetry/contracts';
import {
  assertBucketCount,
  deviceSummary,
  latestValues,
  listRawEvents,
  parseBucket,
  purgeTelemetry,
  queryRollups,
} from '@telemetry/timeseries';
import type { Response } from 'express';
import { audit } from '../audit.js';
import type { ApiContext } from '../context.js';
import { notFound } from '../scope.js';
import { csvLine, startCsv, writeWithBackpressure } from './csv.js';
import { selectDevices } from './devices.js';
import { streamRawCsv } from './export.js';
import { optionAssets, optionDevices, tenantZone, visibleTenant } from './repository.js';
import { type AggregateInput, type EventsInput, type ExportInput, range, type StatsInput } from './schemas.js';
import { assertStatsBuckets, computeStats, OZONE_USAGE_METRICS } from './stats.js';

/** Most buckets one rollup query may answer (aggregate, CSV of rollups). */
const MAX_POINTS = 100_000;

/**
 * The rules of telemetry reads (over @telemetry/timeseries) and purges, for the canonical routes
 * (routes.ts) and the ozone seed's (compat/ozone): every read scoped to the devices the caller sees.
 */
export function createTelemetryService(ctx: Pick<ApiContext, 'store' | 'now' | 'deviceViews'>) {
  const { store } = ctx;
  const db = store.pool;

  const events = async (p: Principal, devices: string[] | undefined, q: EventsInput, tenantId?: string) => {
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

  const latest = async (p: Principal, devices: string[] | undefined, tenantId?: string) => {
    const sel = await selectDevices(db, p, { deviceIds: devices, tenantId });
    if (sel.deviceIds?.length === 0) return [];
    return latestValues(db, { tenantId: sel.tenantId, deviceIds: sel.deviceIds });
  };

  const summary = async (p: Principal, device: string, days?: number) => {
    const sel = await selectDevices(db, p, { deviceIds: [device] });
    return deviceSummary(db, { tenantId: sel.tenantId, deviceId: device, days });
  };

  const aggregate = async (p: Principal, q: AggregateInput) => {
    const bucket = parseBucket(q.bucket);
    assertBucketCount(bucket, q.from, q.to, { max: MAX_POINTS });
    const sel = await selectDevices(db, p, { deviceIds: q.deviceId, assetIds: q.assetId, tenantId: q.tenantId });
    if (sel.deviceIds?.length === 0) return [];
    return queryRollups(db, {
      tenantId: sel.tenantId,
      from: q.from,
      to: q.to,
      bucket,
      timeZone: q.tz,
      deviceIds: sel.deviceIds,
      metrics: q.metric,
      aggregations: q.agg,
      groupBy: q.groupBy,
    });
  };

  const stats = async (p: Principal, q: StatsInput) => {
    // bounded before any query (#15): a refusal costs no database time
    const { from, to } = range({ from: q.start, to: q.end, days: q.days }, ctx.now(), 7);
    assertStatsBuckets(q.granularity, from, to);
    const assetIds = [q.machineId, q.outletId, q.assetId].filter((x): x is string => Boolean(x));
    const selection = await selectDevices(db, p, {
      deviceIds: q.deviceId ? [q.deviceId] : undefined,
      assetIds: assetIds.length ? [assetIds[0] as string] : undefined,
      tenantId: q.tenantId,
    });
    const tz = q.tz ?? (await tenantZone(db, selection.tenantId));
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

  const statsOptions = async (p: Principal, q: { outletId?: string; machineId?: string }) => {
    const { outlets, machines } = await optionAssets(db, p, q.outletId);
    const assetIds = q.machineId ? [q.machineId] : q.outletId ? [q.outletId] : undefined;
    const sel = await selectDevices(db, p, { assetIds }).catch((err) => {
      if (err instanceof AppError && err.code === 'VALIDATION_FAILED')
        return { deviceIds: [] as string[], tenantId: '' };
      throw err;
    });
    const devices = await optionDevices(db, p, sel.deviceIds);
    return {
      outlets,
      machines: machines.map((m) => ({ id: m.id, name: m.name, outletId: m.parent_id })),
      devices: devices.map((d) => ({ id: d.id, name: d.name, machineId: d.asset_id })),
      granularities: ['minute', 'hour', 'day', 'month'],
    };
  };

  /** The statistics as CSV: a bucket column, each series, and the previous period's when compared. */
  const statsCsv = async (p: Principal, q: StatsInput, res: Response) => {
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

  /** Raw events streamed in bounded memory, or the rollups when `bucket` is given. */
  const exportCsv = async (p: Principal, q: ExportInput, res: Response, defaultDays: number) => {
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

  /** Deletes the telemetry of a device or tenant and audits it; `confirm` must repeat its id or name. */
  const purge = async (
    p: Principal,
    target: { entity: 'device' | 'tenant'; id: string; tenantId: string; deviceId: string | null },
  ) =>
    store.withTransaction(async (client) => {
      const deleted = await purgeTelemetry(client, target.tenantId, target.deviceId);
      await audit(client, p, {
        action: 'purge',
        entity: target.entity,
        entityId: target.id,
        tenantId: target.tenantId,
        details: { deleted },
      });
      return deleted;
    });

  const refuseUnconfirmed = (confirm: string | undefined, expected: string, what: string) => {
    if (confirm === expected) return;
    throw new AppError('VALIDATION_FAILED', `Purging cannot be undone: repeat the ${what} as ?confirm=${expected}`, {
      details: { field: 'confirm' },
    });
  };

  const purgeDevice = async (p: Principal, device: string, confirm: string | undefined) => {
    const d = await ctx.deviceViews.get(p, device);
    if (!d.tenant_id) throw notFound('device');
    refuseUnconfirmed(confirm, d.id, 'device id');
    const deleted = await purge(p, { entity: 'device', id: d.id, tenantId: d.tenant_id, deviceId: d.id });
    return { deviceId: d.id, deleted };
  };

  const purgeTenant = async (p: Principal, tenantId: string, confirm: string | undefined) => {
    const tenant = await visibleTenant(db, p, tenantId);
    if (!tenant) throw notFound('tenant');
    refuseUnconfirmed(confirm, tenant.name, 'tenant name');
    const deleted = await purge(p, { entity: 'tenant', id: tenant.id, tenantId: tenant.id, deviceId: null });
    return { tenantId: tenant.id, deleted };
  };

  return {
    events,
    latest,
    summary,
    aggregate,
    stats,
    statsCsv,
    statsOptions,
    exportCsv,
    purgeDevice,
    purgeTenant,
  };
}

export type TelemetryService = ReturnType<typeof createTelemetryService>;
