import { DecoderTestResult, SavedDecoder, TypeDecoder } from '@telemetry/api-contract';
import { AppError, DecoderSpec, EventKind } from '@telemetry/contracts';
import { z } from 'zod';
import { audit } from '../audit.js';
import type { ApiContext } from '../context.js';
import type { RouteTable } from '../http/route-table.js';
import { id } from '../http/validation.js';
import { notFound, readTenant, writeTenant } from '../scope.js';
import { getDecoderRow, setDecoder, typeExists } from './decoder-repository.js';
import { effectiveDecoder, testDecoder } from './service.js';

/**
 * Device types and their payload decoders (#14): a declarative mapping (packages/contracts
 * decoder.ts) from what a fleet's firmware sends to metrics, event id and device time, set by a
 * manager, applied by the MQTT gateway to every device of the type (within its cache TTL, 30 s).
 */
const Params = z.object({
  typeName: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]*$/),
});
const TenantQuery = z.object({ tenantId: id.optional() });
const Sample = z.object({
  /** The payload as the device sends it: a string (JSON text, key=value, a number) or a JSON value. */
  payload: z.union([z.string().max(65_536), z.unknown()]),
  kind: EventKind.default('telemetry'),
  deviceId: z.string().min(1).max(128).default('sample-device'),
  /** A decoder to try before saving it; default: the type's current one. */
  decoder: z.unknown().optional(),
  tenantId: id.optional(),
});

export function registerDecoderRoutes(table: RouteTable, ctx: ApiContext): void {
  const { store } = ctx;
  const mustExist = async (tenantId: string, name: string) => {
    if (!(await typeExists(store.pool, tenantId, name))) throw notFound('device type');
  };

  table.add({
    method: 'get',
    path: '/api/device-types/:typeName/decoder',
    summary: 'The payload decoder a device type uses (its own, or the built-in default)',
    tags: ['devices'],
    access: 'devices:read',
    params: Params,
    query: TenantQuery,
    response: TypeDecoder,
    handler: async ({ params, query, principal }) => {
      const tenantId = readTenant(principal, query.tenantId);
      await mustExist(tenantId, params.typeName);
      const row = await getDecoderRow(store.pool, tenantId, params.typeName);
      const { spec, builtIn } = effectiveDecoder(row?.decoder);
      return {
        name: params.typeName,
        builtIn,
        decoder: spec,
        updatedAt: row?.decoder_updated_at?.toISOString() ?? null,
      };
    },
  });

  table.add({
    method: 'put',
    path: '/api/device-types/:typeName/decoder',
    summary: 'Set a device type’s payload decoder (managers and admins); declarative JSON, no code',
    tags: ['devices'],
    access: 'devices:write',
    params: Params,
    query: TenantQuery,
    body: DecoderSpec,
    example: { ts: ['hdr.time'], tsUnit: 'ms', metrics: { 'p.t10': { name: 'temperature', scale: 0.1 } } },
    response: SavedDecoder,
    handler: async ({ params, query, body, principal }) => {
      const tenantId = writeTenant(principal, query.tenantId);
      await mustExist(tenantId, params.typeName);
      await store.withTransaction(async (client) => {
        await setDecoder(client, tenantId, params.typeName, body);
        await audit(client, principal, {
          action: 'device_type.decoder_set',
          entity: 'device_type',
          entityId: params.typeName,
          tenantId,
          details: { decoder: body },
        });
      });
      return { typeName: params.typeName, builtIn: false, decoder: body };
    },
  });

  table.add({
    method: 'delete',
    path: '/api/device-types/:typeName/decoder',
    summary: 'Back to the built-in default decoder (managers and admins)',
    tags: ['devices'],
    access: 'devices:write',
    params: Params,
    query: TenantQuery,
    status: 204,
    produces: 'none',
    handler: async ({ params, query, principal }) => {
      const tenantId = writeTenant(principal, query.tenantId);
      await mustExist(tenantId, params.typeName);
      await store.withTransaction(async (client) => {
        await setDecoder(client, tenantId, params.typeName, null);
        await audit(client, principal, {
          action: 'device_type.decoder_cleared',
          entity: 'device_type',
          entityId: params.typeName,
          tenantId,
        });
      });
    },
  });

  table.add({
    method: 'post',
    path: '/api/device-types/:typeName/decoder/test',
    summary:
      'What a sample payload becomes with the type’s decoder (or the one given): metrics, id, time, or the dead-letter reason',
    tags: ['devices'],
    access: 'devices:read',
    params: Params,
    body: Sample,
    example: { payload: '{"sensors":{"t":"22.1"},"ts":1767225600}' },
    response: DecoderTestResult,
    handler: async ({ params, body, principal }) => {
      const tenantId = readTenant(principal, body.tenantId);
      await mustExist(tenantId, params.typeName);
      let spec: DecoderSpec;
      if (body.decoder !== undefined) {
        const parsed = DecoderSpec.safeParse(body.decoder);
        if (!parsed.success) {
          throw new AppError('VALIDATION_FAILED', 'decoder is not a valid decoder spec', {
            details: {
              errors: parsed.error.issues.map((i) => ({ path: `decoder.${i.path.join('.')}`, message: i.message })),
            },
          });
        }
        spec = parsed.data;
      } else spec = effectiveDecoder((await getDecoderRow(store.pool, tenantId, params.typeName))?.decoder).spec;
      const payload = typeof body.payload === 'string' ? body.payload : JSON.stringify(body.payload);
      return testDecoder(spec, { payload, kind: body.kind, deviceId: body.deviceId }, new Date());
    },
  });
}
