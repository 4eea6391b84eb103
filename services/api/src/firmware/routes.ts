import { FirmwareImage, FirmwareImageList, Rollout, RolloutDetail, RolloutList } from '@telemetry/api-contract';
import { createCommandStore } from '@telemetry/commands';
import { AppError } from '@telemetry/contracts';
import type { Request } from 'express';
import { z } from 'zod';
import type { ApiContext } from '../context.js';
import type { RouteTable } from '../http/route-table.js';
import { deviceId, id } from '../http/validation.js';
import { writeTenant } from '../scope.js';
import { registerFirmwareDeviceRoutes } from './device-routes.js';
import { listImages, listRollouts, presentImage } from './repository.js';
import { createFirmwareService, MAX_ROLLOUT_DEVICES } from './service.js';

const VERSION = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.+-]{0,63}$/, 'a version: letters, digits, _ . + -, e.g. 1.5.0');
const DEVICE_TYPE = z.string().min(1).max(64);

// deviceType and version are required, checked after the tenant: a foreign tenantId is a 404 first
const UploadQuery = z.object({
  deviceType: DEVICE_TYPE.optional(),
  version: VERSION.optional(),
  /** The checksum the uploader computed (hex): refused when the bytes hash to another. */
  sha256: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, 'sha256 as 64 hex digits')
    .optional(),
  notes: z.string().max(500).default(''),
  tenantId: id.optional(),
});

/** Reads the raw request body, refusing it as soon as it passes `max` bytes. */
async function readBody(req: Request, max: number): Promise<Buffer> {
  if (req.is('application/json') || req.is('application/*+json'))
    throw new AppError('VALIDATION_FAILED', 'send the image as application/octet-stream, not JSON');
  const declared = Number(req.headers['content-length'] ?? 0);
  const tooLarge = () =>
    new AppError('TELEMETRY_TOO_LARGE', `a firmware image may have at most ${max} bytes (FIRMWARE_MAX_BYTES)`);
  if (declared > max) throw tooLarge();
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) {
      req.resume(); // drain the rest so the 413 reaches the client
      throw tooLarge();
    }
    parts.push(chunk);
  }
  return Buffer.concat(parts, size);
}

/** Firmware images per device type and their rollouts (#18): managers and admins, tenant-scoped, audited. */
export function registerFirmwareRoutes(table: RouteTable, ctx: ApiContext): void {
  const service = createFirmwareService({
    store: ctx.store,
    publish: ctx.publish,
    commands: createCommandStore(ctx.store.pool),
    commandsTopic: ctx.publish.topics.commands,
    publicUrl: ctx.config.http.publicUrl,
  });

  table.add({
    method: 'post',
    path: '/api/firmware',
    summary: 'Upload a firmware image for a device type (the body is the image, application/octet-stream)',
    description:
      'The server computes the sha256 (and refuses the upload when `sha256` is given and differs); at most ' +
      'FIRMWARE_MAX_BYTES. A version is uploaded once per device type.',
    tags: ['firmware'],
    access: 'devices:write',
    query: UploadQuery,
    status: 201,
    response: FirmwareImage,
    handler: async ({ req, query, principal }) => {
      const tenantId = writeTenant(principal, query.tenantId);
      const { deviceType, version } = query;
      if (!deviceType || !version)
        throw new AppError('VALIDATION_FAILED', 'deviceType and version are required (query parameters)');
      const data = await readBody(req, ctx.config.api.firmwareMaxBytes);
      return service.upload(principal, {
        tenantId,
        deviceType,
        version,
        sha256: query.sha256,
        notes: query.notes,
        data,
      });
    },
  });

  table.add({
    method: 'get',
    path: '/api/firmware',
    summary: 'Firmware images, newest first',
    tags: ['firmware'],
    access: 'devices:read',
    query: z.object({
      deviceType: DEVICE_TYPE.optional(),
      limit: z.coerce.number().int().min(1).max(500).default(100),
    }),
    response: FirmwareImageList,
    handler: async ({ query, principal }) => ({
      items: (await listImages(ctx.store.pool, principal, query.deviceType, query.limit)).map(presentImage),
    }),
  });

  table.add({
    method: 'delete',
    path: '/api/firmware/:imageId',
    summary: 'Delete a firmware image (refused while a rollout of it is open)',
    tags: ['firmware'],
    access: 'devices:write',
    params: z.object({ imageId: id }),
    status: 204,
    handler: async ({ params, principal }) => {
      await service.remove(principal, params.imageId);
    },
  });

  table.add({
    method: 'post',
    path: '/api/firmware/rollouts',
    summary: 'Roll an image out to devices: the named ones, or every active device of its type',
    description:
      `Each device gets a \`firmware_update\` command with \`{rolloutId, version, url, sha256, size}\`; at most ` +
      `${MAX_ROLLOUT_DEVICES} devices. \`ttl\` (seconds) bounds the rollout: no download or report after it.`,
    tags: ['firmware'],
    access: 'devices:write',
    body: z.object({
      imageId: id,
      deviceIds: z.array(deviceId).min(1).max(MAX_ROLLOUT_DEVICES).optional(),
      ttl: z
        .number()
        .int()
        .min(1)
        .max(7 * 86_400)
        .default(86_400),
    }),
    example: { imageId: '5f0c9a52-8d0e-4c55-9b7e-2f4f7c1f3a10', deviceIds: ['dev-ece334462bc7'], ttl: 86_400 },
    status: 201,
    response: Rollout,
    handler: ({ body, principal }) =>
      service.createRollout(principal, { imageId: body.imageId, deviceIds: body.deviceIds, ttlS: body.ttl }),
  });

  table.add({
    method: 'get',
    path: '/api/firmware/rollouts',
    summary: 'Rollouts, newest first, each with its per-state summary',
    tags: ['firmware'],
    access: 'devices:read',
    query: z.object({ limit: z.coerce.number().int().min(1).max(200).default(50) }),
    response: RolloutList,
    handler: async ({ query, principal }) => ({
      items: (await listRollouts(ctx.store.pool, principal, query.limit)).map(service.presentRollout),
    }),
  });

  table.add({
    method: 'get',
    path: '/api/firmware/rollouts/:rolloutId',
    summary: 'A rollout with each device’s state (pending → notified → downloading → installing → updated | failed)',
    tags: ['firmware'],
    access: 'devices:read',
    params: z.object({ rolloutId: id }),
    query: z.object({ limit: z.coerce.number().int().min(1).max(MAX_ROLLOUT_DEVICES).default(500) }),
    response: RolloutDetail,
    handler: ({ params, query, principal }) => service.rollout(principal, params.rolloutId, query.limit),
  });

  registerFirmwareDeviceRoutes(table, ctx);
}
