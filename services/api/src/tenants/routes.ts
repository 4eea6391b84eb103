import { isPlatformAdmin } from '@telemetry/auth';
import { AppError, MAX_LATE_WINDOW_DAYS } from '@telemetry/contracts';
import type { TelemetryPolicy } from '@telemetry/timeseries';
import { z } from 'zod';
import { audit } from '../audit.js';
import type { ApiContext } from '../context.js';
import { auditRow } from '../http/audited.js';
import { type Keyset, listPage } from '../http/pagination.js';
import type { RouteTable } from '../http/route-table.js';
import { confirmQuery, id, pageQuery, timeZone } from '../http/validation.js';
import { notFound, tenantWhere } from '../scope.js';

interface TenantRow {
  id: string;
  name: string;
  external_id: string | null;
  timezone: string;
  settings: Record<string, unknown>;
  allow_mac_only: boolean;
  created_at: Date;
}
const COLUMNS = 't.id, t.name, t.external_id, t.timezone, t.settings, t.allow_mac_only, t.created_at';

export function presentTenant(r: TenantRow) {
  return {
    id: r.id,
    name: r.name,
    externalId: r.external_id,
    timezone: r.timezone,
    settings: r.settings,
    /** MAC-only device handshakes allowed (the seed's legacy firmware): opted in knowingly, audited (#20). */
    allowMacOnly: r.allow_mac_only,
    createdAt: r.created_at.toISOString(),
  };
}

const TenantParams = z.object({ tenantId: id });

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
  const { store } = ctx;

  table.add({
    method: 'get',
    path: '/api/tenants',
    summary: 'Tenants: every one for a platform admin, else the caller’s own',
    tags: ['tenants'],
    access: 'user',
    query: z.object({ ...pageQuery }),
    handler: async ({ query, principal }) => {
      const params: unknown[] = [];
      const where = [tenantWhere(principal, 't.id', params)];
      const keyset: Keyset = { column: 't.name', type: 'text', id: 't.id', direction: 'asc' };
      return listPage(store.pool, { columns: COLUMNS, from: 'tenants t', where, params, keyset }, query, presentTenant);
    },
  });

  table.add({
    method: 'post',
    path: '/api/tenants',
    summary: 'Create a tenant (platform admin)',
    tags: ['tenants'],
    access: 'platform',
    body: TenantBody,
    example: { name: 'Acme Plant', externalId: 'b0c2bda5-0d6d-4c6a-86d4-76489ea2b9df', timezone: 'Europe/Berlin' },
    status: 201,
    handler: async ({ body, principal }) =>
      store.withTransaction(async (client) => {
        const { rows } = await client.query<TenantRow>(
          `INSERT INTO tenants AS t (name, external_id, timezone, settings) VALUES ($1, $2, $3, $4)
           ON CONFLICT DO NOTHING RETURNING ${COLUMNS}`,
          [body.name, body.externalId ?? null, body.timezone ?? 'UTC', JSON.stringify(body.settings ?? {})],
        );
        const row = rows[0];
        if (!row) throw new AppError('CONFLICT', `a tenant named ${body.name} (or with that external id) exists`);
        await audit(client, principal, {
          action: 'create',
          entity: 'tenant',
          entityId: row.id,
          tenantId: row.id,
          details: { name: row.name },
        });
        return presentTenant(row);
      }),
  });

  const load = async (principal: Parameters<typeof tenantWhere>[0], tenantId: string) => {
    const params: unknown[] = [tenantId];
    const { rows } = await store.pool.query<TenantRow>(
      `SELECT ${COLUMNS} FROM tenants t WHERE t.id = $1 AND ${tenantWhere(principal, 't.id', params)}`,
      params,
    );
    if (!rows[0]) throw notFound('tenant');
    return rows[0];
  };

  table.add({
    method: 'get',
    path: '/api/tenants/:tenantId',
    summary: 'One tenant',
    tags: ['tenants'],
    access: 'user',
    params: TenantParams,
    handler: async ({ params, principal }) => presentTenant(await load(principal, params.tenantId)),
  });

  table.add({
    method: 'patch',
    path: '/api/tenants/:tenantId',
    summary: 'Change a tenant’s name, external id, time zone or settings (its admin or a platform admin)',
    tags: ['tenants'],
    access: 'tenants:write',
    params: TenantParams,
    body: TenantBody.partial(),
    example: { timezone: 'Europe/Paris' },
    handler: async ({ params, body, principal }) => {
      await load(principal, params.tenantId);
      return store.withTransaction(async (client) => {
        const { rows } = await client
          .query<TenantRow>(
            `UPDATE tenants t SET name = coalesce($2, name), external_id = CASE WHEN $6 THEN $3 ELSE external_id END,
             timezone = coalesce($4, timezone), settings = coalesce($5::jsonb, settings),
             allow_mac_only = coalesce($7, allow_mac_only)
           WHERE id = $1 RETURNING ${COLUMNS}`,
            [
              params.tenantId,
              body.name ?? null,
              body.externalId ?? null,
              body.timezone ?? null,
              body.settings ? JSON.stringify(body.settings) : null,
              body.externalId !== undefined,
              body.allowMacOnly ?? null,
            ],
          )
          .catch(conflict('a tenant with that name or external id exists'));
        const row = { id: params.tenantId, tenant_id: params.tenantId };
        await auditRow(client, principal, 'update', 'tenant', row, body);
        if (body.allowMacOnly !== undefined) {
          // its own audit entry: a security decision, easy to find (#20)
          await auditRow(client, principal, body.allowMacOnly ? 'allow_mac_only' : 'forbid_mac_only', 'tenant', row, {
            allowMacOnly: body.allowMacOnly,
          });
        }
        return presentTenant(rows[0] as TenantRow);
      });
    },
  });

  table.add({
    method: 'delete',
    path: '/api/tenants/:tenantId',
    summary: 'Delete a tenant and everything it owns (platform admin; ?confirm=<tenant name>)',
    tags: ['tenants'],
    access: 'platform',
    params: TenantParams,
    query: confirmQuery,
    status: 204,
    handler: async ({ params, query, principal }) => {
      const tenant = await load(principal, params.tenantId);
      if (query.confirm !== tenant.name) {
        throw new AppError(
          'VALIDATION_FAILED',
          `Deleting a tenant cannot be undone: repeat its name as ?confirm=${tenant.name}`,
          {
            details: { field: 'confirm' },
          },
        );
      }
      if (!isPlatformAdmin(principal)) throw notFound('tenant');
      await ctx.publish.inTransaction(async (client, emit) => {
        // every user of the tenant goes with it: their open sockets end at once (#20)
        const { rows: users } = await client.query<{ id: string }>('SELECT id FROM users WHERE tenant_id = $1', [
          tenant.id,
        ]);
        for (const u of users) {
          emit(ctx.publish.revocation({ userId: u.id, tenantId: tenant.id, reason: 'user_deleted' }));
        }
        await purgeTelemetry(client, tenant.id, null);
        await client.query('DELETE FROM tenants WHERE id = $1', [tenant.id]);
        await audit(client, principal, {
          action: 'delete',
          entity: 'tenant',
          entityId: tenant.id,
          tenantId: null,
          details: { name: tenant.name },
        });
      });
    },
  });
}

/** Telemetry tables have no foreign keys (hot path): a tenant's or device's rows go explicitly. */
export async function purgeTelemetry(
  client: { query: (sql: string, params: unknown[]) => Promise<{ rowCount: number | null }> },
  tenantId: string,
  deviceId: string | null,
): Promise<number> {
  let total = 0;
  for (const table of [
    'telemetry_raw',
    'device_events',
    'rollup_1m',
    'rollup_1h',
    'rollup_1d',
    'device_state',
    'telemetry_seen',
  ]) {
    const res = await client.query(
      `DELETE FROM ${table} WHERE tenant_id = $1 AND ($2::text IS NULL OR device_id = $2::text)`,
      [tenantId, deviceId],
    );
    if (table === 'telemetry_raw' || table === 'device_events') total += res.rowCount ?? 0;
  }
  return total;
}

/** Maps a unique violation to 409. */
export function conflict(message: string) {
  return (err: Error & { code?: string }): never => {
    if (err.code === '23505') throw new AppError('CONFLICT', message);
    throw err;
  };
}
