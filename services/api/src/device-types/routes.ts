import { DeviceType, page } from '@telemetry/api-contract';
import { z } from 'zod';
import { audit } from '../audit.js';
import type { ApiContext } from '../context.js';
import type { RouteTable } from '../http/route-table.js';
import { id } from '../http/validation.js';
import { notFound, readTenant, writeTenant } from '../scope.js';
import { type DeviceTypeRow, listDeviceTypes, putDeviceType } from './repository.js';

const present = (r: DeviceTypeRow) => ({
  name: r.name,
  expectedIntervalS: r.expected_interval_s,
  deadband: r.deadband,
  metrics: r.metrics,
  devices: r.devices,
});
const TypeName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'letters, digits and _ . -');
/** metric -> band (≥ 0); `*` is the band of every metric not named. */
const Deadband = z.record(
  z.string().regex(/^(\*|[A-Za-z0-9_.:-]{1,64})$/, 'a metric name or *'),
  z.number().finite().min(0, 'a band is 0 or more'),
);

/** metric -> how people read it: a display name and a unit (`s` readings show as durations). */
const MetricsDisplay = z.record(
  z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'a metric name'),
  z.object({ label: z.string().max(64).optional(), unit: z.string().max(16).optional() }),
);

/**
 * Device types and their deadband (the car-plant seed's "if the data is updated, a new instance is
 * saved": readings are kept raw only when a metric moved more than its band; the rollups count all).
 */
export function registerDeviceTypeRoutes(table: RouteTable, ctx: ApiContext): void {
  const { store } = ctx;

  table.add({
    method: 'get',
    path: '/api/device-types',
    summary: 'Device types of the tenant with their deadband ("stored only on change") and expected interval',
    tags: ['devices'],
    access: 'devices:read',
    query: z.object({ tenantId: id.optional() }),
    response: page(DeviceType),
    handler: async ({ query, principal }) => ({
      items: (await listDeviceTypes(store.pool, readTenant(principal, query.tenantId))).map(present),
      nextCursor: null,
    }),
  });

  table.add({
    method: 'put',
    path: '/api/device-types/:typeName',
    summary:
      'Set a device type’s deadband (metric → band, * = every other metric; {} stores every reading), expected interval and metric names/units; a type of the tenant’s devices',
    tags: ['devices'],
    access: 'devices:write',
    params: z.object({ typeName: TypeName }),
    body: z.object({
      deadband: Deadband.optional(),
      metrics: MetricsDisplay.optional(),
      expectedIntervalS: z
        .number()
        .int()
        .positive()
        .max(86_400 * 7)
        .optional(),
      tenantId: id.optional(),
    }),
    example: { deadband: { temperature: 0.5, '*': 0 }, metrics: { uptime_s: { label: 'Uptime', unit: 's' } } },
    response: DeviceType,
    handler: async ({ params, body, principal }) => {
      const tenantId = writeTenant(principal, body.tenantId);
      return store.withTransaction(async (c) => {
        const row = await putDeviceType(c, tenantId, params.typeName, body);
        if (!row) throw notFound('device type (register a device of this type first)');
        await audit(c, principal, {
          action: 'update',
          entity: 'device_type',
          entityId: params.typeName,
          tenantId,
          details: { deadband: body.deadband, expectedIntervalS: body.expectedIntervalS, metrics: body.metrics },
        });
        return present(row);
      });
    },
  });
}
