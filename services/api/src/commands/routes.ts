import { Command, CommandList, DeviceCommandAck, DeviceCommandPoll } from '@telemetry/api-contract';
import { type CommandStore, createCommandStore, parseReply, toWire } from '@telemetry/commands';
import { AppError } from '@telemetry/contracts';
import { z } from 'zod';
import type { ApiContext } from '../context.js';
import type { RouteTable } from '../http/route-table.js';
import { deviceId, id } from '../http/validation.js';
import { deviceOfRequest } from './device-auth.js';
import { createCommandService } from './service.js';

const COMMAND_NAME = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_.:-]{0,63}$/, 'a command name: letters, digits, _ . : -, starting with a letter');

const SendBody = z.object({
  name: COMMAND_NAME,
  params: z.record(z.string().max(64), z.unknown()).default({}),
  /** Seconds the command may wait for the device; never delivered after. */
  ttl: z
    .number()
    .int()
    .min(1)
    .max(7 * 86_400)
    .default(3_600),
  expectReply: z.boolean().default(false),
});

const WaitQuery = z.object({
  /** Seconds to wait for the device's reply (0: answer at once with the queued command). */
  wait: z.coerce.number().min(0).max(30).default(0),
});

const MAX_BODY = 8_192;

/** Commands to devices (#18): sent by managers and admins, listed by anyone who sees the device. */
export function registerCommandRoutes(table: RouteTable, ctx: ApiContext, store?: CommandStore): void {
  const commands = store ?? createCommandStore(ctx.store.pool);
  const service = createCommandService({
    store: commands,
    publish: ctx.publish,
    devices: ctx.deviceViews,
    commandsTopic: ctx.publish.topics.commands,
  });

  table.add({
    method: 'post',
    path: '/api/devices/:deviceId/commands',
    summary: 'Send a command to a device (delivered at QoS 1 when it is connected, never after its ttl)',
    description:
      'The device receives `{"id","name","params","expectReply","expiresAt"}` on `devices/{id}/commands` ' +
      '(or from `GET /api/device/commands/`), dedupes on `id`, and answers on `devices/{id}/commands/reply` with ' +
      '`{"id","status":"ok"|"error","result"}`. `?wait=N` waits up to N seconds for that answer.',
    tags: ['commands'],
    access: 'devices:write',
    params: z.object({ deviceId }),
    query: WaitQuery,
    body: SendBody,
    example: { name: 'refill_request', params: { level: 100 }, ttl: 600, expectReply: true },
    status: 201,
    response: Command,
    handler: async ({ params, query, body, principal }) => {
      const sent = await service.send(principal, params.deviceId, {
        name: body.name,
        params: body.params,
        ttlS: body.ttl,
        expectReply: body.expectReply,
      });
      return query.wait > 0 ? service.await(principal, sent, query.wait * 1000) : sent;
    },
  });

  table.add({
    method: 'get',
    path: '/api/devices/:deviceId/commands',
    summary: 'A device’s commands, newest first, with their states and replies',
    tags: ['commands'],
    access: 'devices:read',
    params: z.object({ deviceId }),
    query: z.object({ limit: z.coerce.number().int().min(1).max(500).default(50) }),
    response: CommandList,
    handler: async ({ params, query, principal }) => ({
      items: await service.list(principal, params.deviceId, query.limit),
    }),
  });

  table.add({
    method: 'get',
    path: '/api/devices/:deviceId/commands/:commandId',
    summary: 'One command; `?wait=N` waits up to N seconds for it to be replied, failed or expired',
    tags: ['commands'],
    access: 'devices:read',
    params: z.object({ deviceId, commandId: id }),
    query: WaitQuery,
    response: Command,
    handler: async ({ params, query, principal }) => {
      const c = await service.get(principal, params.deviceId, params.commandId);
      return query.wait > 0 ? service.await(principal, c, query.wait * 1000) : c;
    },
  });

  // HTTP-only firmware (the ozone seed's): the device token, as on the other device routes.
  const device = deviceOfRequest(ctx);

  table.add({
    method: 'get',
    path: '/api/device/commands/',
    response: DeviceCommandPoll,
    summary: 'Device: the commands waiting for it (long poll: `?wait=N` holds the request up to N seconds)',
    description:
      'Authenticated by the device token. Answers `{"commands":[...]}` as soon as there is one (or after `wait`). ' +
      'A command stays in the answer until acknowledged with `POST /api/device/commands/ack/`.',
    tags: ['device'],
    access: 'device',
    query: z.object({ wait: z.coerce.number().min(0).max(30).default(0) }),
    handler: async ({ req, query }) => {
      const deviceIdOf = await device(req);
      const deadline = Date.now() + query.wait * 1000;
      for (;;) {
        const open = await commands.open([deviceIdOf], { queuedOnly: false, limit: 20 });
        if (open.length > 0 || Date.now() >= deadline || req.socket.destroyed) {
          await commands.markSent(open.map((c) => c.id));
          return { commands: open.map(toWire) };
        }
        await new Promise((r) => setTimeout(r, Math.min(1_000, deadline - Date.now())));
      }
    },
  });

  table.add({
    method: 'post',
    path: '/api/device/commands/ack/',
    response: DeviceCommandAck,
    summary: 'Device: acknowledge a command, with its reply when one is expected',
    description:
      'Body: `{"id":"<command id>","status":"ok"|"error","result":...,"error":"..."}` (all but `id` optional).',
    tags: ['device'],
    access: 'device',
    body: z.object({
      id,
      status: z.enum(['ok', 'error']).optional(),
      result: z.unknown().optional(),
      error: z.string().max(1000).optional(),
    }),
    example: { id: '5f0c9a52-8d0e-4c55-9b7e-2f4f7c1f3a10', status: 'ok', result: { level: 100 } },
    handler: async ({ req, body }) => {
      const deviceIdOf = await device(req);
      if (JSON.stringify(body).length > MAX_BODY) throw new AppError('VALIDATION_FAILED', 'reply too large');
      const answered = body.status !== undefined || body.result !== undefined || body.error !== undefined;
      const done = answered
        ? await (async () => {
            const reply = parseReply(body);
            if ('invalid' in reply) throw new AppError('VALIDATION_FAILED', reply.invalid);
            return commands.reply(deviceIdOf, body.id, reply);
          })()
        : await commands.markDelivered(deviceIdOf, body.id);
      if (!done) throw new AppError('NOT_FOUND', 'no open command with this id for this device (finished or expired?)');
      return { ack: true };
    },
  });
}
