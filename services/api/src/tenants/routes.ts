import { Tenant } from '@telemetry/api-contract';
import { MAX_LATE_WINDOW_DAYS } from '@telemetry/contracts';
import { purgeTelemetry, type TelemetryPolicy } from '@telemetry/timeseries';
import { z } from 'zod';
import type { ApiContext } from '../context.js';
import { addResourceRoutes } from '../http/resource-routes.js';
import type { RouteTable } from '../http/route-table.js';
import { confirmQuery, pageQuery, timeZone } from '../http/validation.js';
import { createTenantService, presentTenant } from './service.js';

/**
 * Whole days, 1..36500 (100 years), or null (keep forever / never compress). The pipeline's
 * maintenance turns these into dates and TimescaleDB intervals (int): an unbounded number there
 * failed the job for every tenant (see policyFromSettings in @telemetry/timeseries, which clamps too).
 */
const policyDays = z.number().int().min(1).max(36_500).nullable().optional();
const TelemetrySettings = z.strictObject({
  rawRetentionDays: policyDays,
  eventRetentionDays: policyDays,
  rollup1mRetentionDays: policyDays,
  rollup1hRetentionDays: policyDays,
  rollup1dRetentionDays: policyDays,
  compressAfterDays: policyDays,
} satisfies Record<keyof TelemetryPolicy, unknown>);
/** How long the tenant's rejected messages are kept (days; the pipeline's rejections consumer, #14). */
const RejectionSettings = z.object({ retentionDays: z.number().int().min(1).max(3650).optional() });
/** How late data may arrive (packages/contracts lateness.ts): whole days; absent = LATE_WINDOW. */
const IngestSettings = z.strictObject({
  lateWindowDays: z.number().int().min(1).max(MAX_LATE_WINDOW_DAYS).optional(),
});
/** Free-form, except `telemetry` (the storage policy), `rejections` and `ingest` (the late window), which are checked. */
const TenantSettings = z.looseObject({
  telemetry: TelemetrySettings.optional(),
  rejections: RejectionSettings.optional(),
  ingest: IngestSettings.optional(),
  /** Operators see every alert and task of the tenant, not only those of their assignments (#19). */
  operatorsSeeAll: z.boolean().optional(),
});

const TenantBody = z.object({
  name: z.string().min(1).max(200),
  /** The aggregator seed's customer_id. */
  externalId: z.string().max(200).optional().nullable(),
  timezone: timeZone.optional(),
  settings: TenantSettings.optional(),
  /**
   * Let this tenant's devices keep handshaking by MAC alone (anyone who reads a MAC can then mint
   * a token for that device). Off by default: an assigned device must prove itself with its token
   * after its first handshake (trust on first use). Written to the audit log.
   */
  allowMacOnly: z.boolean().optional(),
});

export function registerTenantRoutes(table: RouteTable, ctx: ApiContext): void {
  const tenants = createTenantService({ store: ctx.store, publish: ctx.publish, purge: purgeTelemetry });
  addResourceRoutes(table, {
    path: '/api/tenants',
    param: 'tenantId',
    tags: ['tenants'],
    item: Tenant,
    present: presentTenant,
    service: { ...tenants, remove: (p, tenantId, query) => tenants.remove(p, tenantId, query.confirm) },
    list: {
      summary: 'Tenants: every one for a platform admin, else the caller’s own',
      access: 'user',
      query: z.object({ ...pageQuery }),
    },
    create: {
      summary: 'Create a tenant (platform admin)',
      access: 'platform',
      body: TenantBody,
      example: { name: 'Acme Plant', externalId: 'b0c2bda5-0d6d-4c6a-86d4-76489ea2b9df', timezone: 'Europe/Berlin' },
    },
    get: { summary: 'One tenant', access: 'user' },
    update: {
      summary: 'Change a tenant’s name, external id, time zone or settings (its admin or a platform admin)',
      access: 'tenants:write',
      body: TenantBody.partial(),
      example: { timezone: 'Europe/Paris' },
    },
    remove: {
      summary: 'Delete a tenant and everything it owns (platform admin; ?confirm=<tenant name>)',
      access: 'platform',
      query: confirmQuery,
    },
  });
}
