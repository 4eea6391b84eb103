import { Dispenser, DispenserLevelReport, Floor, Pantry } from '@telemetry/api-contract';
import { z } from 'zod';
import type { ApiContext } from '../../context.js';
import type { RouteTable } from '../../http/route-table.js';
import { id } from '../../http/validation.js';
import { registerTypedAlias } from '../typed-assets.js';
import { createDispenserService } from './service.js';

const TAG = 'compat-dispenser';

/** The dispenser seed (000_*): floors → pantries → dispensers, and the level update. */
export function registerDispenserRoutes(table: RouteTable, ctx: ApiContext): void {
  const dispensers = createDispenserService(ctx);
  // The seed's README lists its URLs without /api (its Django urls.py); both prefixes are served.
  for (const prefix of ['/api', '']) registerTree(table, ctx, prefix, dispensers);
}

function registerTree(
  table: RouteTable,
  ctx: ApiContext,
  prefix: string,
  dispensers: ReturnType<typeof createDispenserService>,
): void {
  table.add({
    method: 'post',
    path: `${prefix}/dispensers/:dispenserId/update-level/`,
    summary:
      'Report a dispenser’s current level (as its device would): goes through the pipeline; the rules raise the low-level alert',
    description:
      'A dispenser without a bound device gets a virtual one (`dispenser-<id>`) whose reading the level is. ' +
      '`low` compares with the dispenser’s own `low_level_threshold` (default 20), as the low-level rule does.',
    tags: [TAG],
    access: 'tasks:update',
    params: z.object({ dispenserId: id }),
    body: z.object({ current_level: z.number().finite().min(0).max(1_000_000) }),
    example: { current_level: 5 },
    response: DispenserLevelReport,
    handler: async ({ params, body, principal }) =>
      dispensers.reportLevel(principal, params.dispenserId, body.current_level),
  });

  registerTypedAlias(table, ctx, {
    base: `${prefix}/floors`,
    type: 'floor',
    param: 'floorId',
    tag: TAG,
    label: 'Floors',
    fields: { number: z.number().int().nullable(), description: z.string().max(1000) },
    filters: ['user_id'],
    example: { name: 'Floor 1', number: 1 },
    response: Floor,
  });
  registerTypedAlias(table, ctx, {
    base: `${prefix}/pantries`,
    type: 'pantry',
    param: 'pantryId',
    tag: TAG,
    label: 'Pantries',
    parent: { type: 'floor', field: 'floor', query: 'floor' },
    fields: { description: z.string().max(1000) },
    example: { name: 'Pantry A' },
    response: Pantry,
  });
  registerTypedAlias(table, ctx, {
    base: `${prefix}/dispensers`,
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
    response: Dispenser,
  });
}
