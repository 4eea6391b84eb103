import { page, Rejection, RejectionSummary } from '@telemetry/api-contract';
import { z } from 'zod';
import type { ApiContext } from '../context.js';
import type { RouteTable } from '../http/route-table.js';
import { deviceId, id, pageQuery } from '../http/validation.js';
import { deviceRejections, summary } from './service.js';

const Reason = z.string().min(1).max(64);
const DEFAULT_WINDOW_MS = 86_400_000;

/**
 * What the edge and the pipeline refused (#14): each dead letter of telemetry.dead.v1 as the
 * pipeline's rejections consumer keeps it (bounded per device and tenant, per-tenant retention
 * `settings.rejections.retentionDays`), per device and as tenant-wide counts.
 */
export function registerRejectionRoutes(table: RouteTable, ctx: ApiContext): void {
  const { store } = ctx;

  table.add({
    method: 'get',
    path: '/api/devices/:deviceId/rejections',
    summary: 'A device’s rejected messages, newest first: reason, time, where it came from, a payload excerpt',
    tags: ['devices'],
    access: 'devices:read',
    params: z.object({ deviceId }),
    query: z.object({ ...pageQuery, reason: Reason.optional(), since: z.coerce.date().optional() }),
    response: page(Rejection),
    handler: ({ params, query, principal }) =>
      deviceRejections(store.pool, ctx.deviceViews, principal, params.deviceId, query),
  });

  table.add({
    method: 'get',
    path: '/api/rejections/summary',
    summary:
      'Rejections of the tenant since a time (default the last 24 h) by reason and by device, and all-time totals',
    tags: ['devices'],
    access: 'devices:read',
    query: z.object({ since: z.coerce.date().optional(), tenantId: id.optional() }),
    response: RejectionSummary,
    handler: ({ query, principal }) =>
      summary(store.pool, principal, query.tenantId, query.since ?? new Date(ctx.now() - DEFAULT_WINDOW_MS)),
  });
}
