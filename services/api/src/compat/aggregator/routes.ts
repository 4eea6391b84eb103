import { AggregatedReadings, UploadedReadings } from '@telemetry/api-contract';
import { isPlatformAdmin } from '@telemetry/auth';
import { ReadingBatch } from '@telemetry/contracts';
import { queryRollups } from '@telemetry/timeseries';
import { z } from 'zod';
import type { ApiContext } from '../../context.js';
import type { RouteTable } from '../../http/route-table.js';
import { isoTime } from '../../http/validation.js';
import { selectDevices } from '../../telemetry/devices.js';
import { createAggregatorService } from './service.js';
import { seedTime } from './time.js';

/**
 * The reading aggregator seed (001_*): each customer (tenant, customer_id = tenants.external_id)
 * sees the mean of its devices' readings per N minutes; an admin (platform) sees every customer.
 */
export function registerAggregatorRoutes(table: RouteTable, ctx: ApiContext): void {
  const { store } = ctx;
  const aggregator = createAggregatorService(ctx);

  table.add({
    method: 'post',
    path: '/api/device/create/',
    summary: 'Upload readings with a user’s token (aggregator seed): [{timestamp, reading, device_id, customer_id}]',
    description:
      'The seed’s customers post their sensors’ data with their own JWT (a relay device’s token goes to ' +
      '/api/device/readings/). Every device_id must be a device of the caller’s tenant; a manager or admin ' +
      'uploading registers unknown ids as devices of the tenant (ids taken elsewhere are refused). ' +
      '`customer_id` must name the tenant (its external id). Answers the stored readings, times as `+00:00`.',
    tags: ['compat-aggregator'],
    access: 'telemetry:write',
    aliasOf: '/api/device/readings/',
    body: ReadingBatch,
    example: [
      {
        timestamp: '2022-01-21T10:56:18.950901',
        reading: 0.63,
        device_id: '71bf19cb-e7e7-4334-af31-5ebba56a655d',
        customer_id: 'b0c2bda5-0d6d-4c6a-86d4-76489ea2b9df',
      },
    ],
    status: 201,
    response: UploadedReadings,
    handler: async ({ body, principal }) => aggregator.upload(principal, body),
  });

  table.add({
    method: 'get',
    path: '/api/readings/aggregated/',
    summary: 'Mean readings per device per N minutes, in the aggregator seed’s shape',
    tags: ['compat-aggregator'],
    access: 'telemetry:read',
    aliasOf: '/api/telemetry/aggregate',
    response: AggregatedReadings,
    query: z.object({
      start: isoTime,
      end: isoTime,
      aggregation_size_minutes: z.coerce.number().int().min(1).max(1440).default(5),
      device_id: z.string().max(128).optional(),
      customer_id: z.string().max(200).optional(),
    }),
    handler: async ({ query, principal }) => {
      const params: unknown[] = [];
      let where = 'TRUE';
      if (!isPlatformAdmin(principal)) where = `t.id = $${params.push(principal.tenantId)}`;
      if (query.customer_id) where += ` AND t.external_id = $${params.push(query.customer_id)}`;
      const { rows: tenants } = await store.pool.query<{ id: string; external_id: string | null }>(
        `SELECT t.id, t.external_id FROM tenants t WHERE ${where} ORDER BY t.name LIMIT 1000`,
        params,
      );
      const size = query.aggregation_size_minutes;
      const data = [];
      for (const tenant of tenants) {
        const sel = await selectDevices(store.pool, principal, {
          tenantId: tenant.id,
          deviceIds: query.device_id ? [query.device_id] : undefined,
        }).catch(() => undefined);
        if (!sel || sel.deviceIds?.length === 0) continue;
        const points = await queryRollups(store.pool, {
          tenantId: tenant.id,
          from: query.start,
          to: query.end,
          bucket: `${size}m`,
          metrics: ['reading'],
          aggregations: ['avg'],
          deviceIds: sel.deviceIds,
        });
        const byDevice = new Map<string, { from: string; value: number | null }[]>();
        for (const p of points) {
          const list = byDevice.get(p.deviceId ?? '') ?? [];
          list.push({ from: seedTime(p.bucket), value: p.values.avg ?? null });
          byDevice.set(p.deviceId ?? '', list);
        }
        for (const [device, values] of byDevice) {
          data.push({
            device_id: device,
            customer_id: tenant.external_id ?? tenant.id,
            from: seedTime(query.start),
            to: seedTime(query.end),
            aggregation_size_minutes: size,
            aggregated_values: values,
          });
        }
      }
      return { data };
    },
  });
}
