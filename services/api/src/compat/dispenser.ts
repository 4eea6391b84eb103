import { randomUUID } from 'node:crypto';
import { AppError } from '@telemetry/contracts';
import { z } from 'zod';
import { getAsset } from '../assets/repository.js';
import { audit } from '../audit.js';
import type { ApiContext } from '../context.js';
import type { RouteTable } from '../http/route-table.js';
import { id } from '../http/validation.js';
import { registerTypedAlias } from './typed-assets.js';

const TAG = 'compat-dispenser';

/** The dispenser seed (000_*): floors → pantries → dispensers, and the level update. */
export function registerDispenserRoutes(table: RouteTable, ctx: ApiContext): void {
  const { store, publish } = ctx;

  table.add({
    method: 'post',
    path: '/api/dispensers/:dispenserId/update-level/',
    summary:
      'Report a dispenser’s current level (as its device would): goes through the pipeline; the rules raise the low-level alert',
    tags: [TAG],
    access: 'tasks:update',
    params: z.object({ dispenserId: id }),
    body: z.object({ current_level: z.number().finite().min(0).max(1_000_000) }),
    example: { current_level: 5 },
    handler: async ({ params, body, principal }) => {
      const dispenser = await getAsset(store.pool, principal, params.dispenserId, 'dispenser');
      const { rows } = await store.pool.query<{ device_id: string }>(
        'SELECT device_id FROM device_bindings WHERE asset_id = $1 AND tenant_id = $2 AND unbound_at IS NULL ORDER BY bound_at DESC LIMIT 1',
        [dispenser.id, dispenser.tenant_id],
      );
      const device = rows[0]?.device_id;
      if (!device)
        throw new AppError(
          'CONFLICT',
          'no device is bound to this dispenser: bind one (POST /api/devices/{id}/bind) first',
        );
      const now = new Date(ctx.now()).toISOString();
      const eventId = `level-${randomUUID()}`;
      // durable on the bus before we answer (memory bus: stored by the pipeline; Kafka: acks=all)
      await publish.publishRaw({
        v: 1,
        tenantId: dispenser.tenant_id,
        deviceId: device,
        eventId,
        kind: 'telemetry',
        ts: now,
        receivedAt: now,
        source: 'http',
        metrics: { level: body.current_level },
        attributes: { reported_by: principal.userId },
        trace: { gateway: Date.now() },
      });
      await store.pool.query(
        `UPDATE assets SET attributes = attributes || jsonb_build_object('current_level', $2::float8), updated_at = now() WHERE id = $1`,
        [dispenser.id, body.current_level],
      );
      await audit(store.pool, principal, {
        action: 'update_level',
        entity: 'asset',
        entityId: dispenser.id,
        tenantId: dispenser.tenant_id,
        details: { level: body.current_level, eventId },
      });
      const threshold = Number(dispenser.attributes.low_level_threshold ?? 20);
      return {
        id: dispenser.id,
        device_id: device,
        event_id: eventId,
        current_level: body.current_level,
        low: body.current_level < threshold,
      };
    },
  });

  registerTypedAlias(table, ctx, {
    base: '/api/floors',
    type: 'floor',
    param: 'floorId',
    tag: TAG,
    label: 'Floors',
    fields: { number: z.number().int().nullable(), description: z.string().max(1000) },
    filters: ['user_id'],
    example: { name: 'Floor 1', number: 1 },
  });
  registerTypedAlias(table, ctx, {
    base: '/api/pantries',
    type: 'pantry',
    param: 'pantryId',
    tag: TAG,
    label: 'Pantries',
    parent: { type: 'floor', field: 'floor', query: 'floor' },
    fields: { description: z.string().max(1000) },
    example: { name: 'Pantry A' },
  });
  registerTypedAlias(table, ctx, {
    base: '/api/dispensers',
    type: 'dispenser',
    param: 'dispenserId',
    tag: TAG,
    label: 'Dispensers',
    parent: { type: 'pantry', field: 'pantry', query: 'pantry' },
    fields: {
      /** coffee, soap, snacks... (shown in the low-level mail) */
      dispenser_type: z.string().max(100),
      capacity: z.number().positive().nullable(),
      low_level_threshold: z.number().min(0).nullable(),
      current_level: z.number().min(0).nullable(),
    },
    example: { name: 'Coffee 1', dispenser_type: 'coffee', capacity: 100, low_level_threshold: 20 },
  });
}
