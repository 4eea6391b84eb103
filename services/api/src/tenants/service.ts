import { isPlatformAdmin, type Principal } from '@telemetry/auth';
import { AppError } from '@telemetry/contracts';
import type { Store } from '@telemetry/store';
import type pg from 'pg';
import { audit } from '../audit.js';
import { auditRow } from '../http/audited.js';
import type { Publisher } from '../publish.js';
import { notFound } from '../scope.js';
import { onUniqueViolation } from '../unique.js';
import {
  deleteTenantRow,
  insertTenant,
  selectTenant,
  selectTenants,
  selectTenantUserIds,
  type TenantRow,
  type TenantValues,
  updateTenantRow,
} from './repository.js';

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

export interface TenantPatch extends Partial<Omit<TenantValues, 'externalId'>> {
  externalId?: string | null;
  allowMacOnly?: boolean;
}

/** Deletes a tenant's telemetry (those tables have no foreign keys: the hot path). */
type Purge = (client: pg.PoolClient, tenantId: string, deviceId: null) => Promise<number>;

/** The rules of tenants: unique names, who may delete one, what goes with it. */
export function createTenantService(deps: {
  store: Pick<Store, 'pool' | 'withTransaction'>;
  publish: Pick<Publisher, 'inTransaction' | 'revocation'>;
  purge: Purge;
}) {
  const { store, publish } = deps;
  const load = async (p: Principal, tenantId: string): Promise<TenantRow> => {
    const row = await selectTenant(store.pool, p, tenantId);
    if (!row) throw notFound('tenant');
    return row;
  };

  return {
    list: (p: Principal, page: { limit: number; cursor?: string }) => selectTenants(store.pool, p, page),
    get: load,

    create: (p: Principal, input: Partial<TenantValues> & { name: string }) =>
      store.withTransaction(async (client) => {
        const row = await insertTenant(client, {
          name: input.name,
          externalId: input.externalId ?? null,
          timezone: input.timezone ?? 'UTC',
          settings: input.settings ?? {},
        });
        if (!row) throw new AppError('CONFLICT', `a tenant named ${input.name} (or with that external id) exists`);
        await audit(client, p, {
          action: 'create',
          entity: 'tenant',
          entityId: row.id,
          tenantId: row.id,
          details: { name: row.name },
        });
        return row;
      }),

    update: async (p: Principal, tenantId: string, patch: TenantPatch) => {
      await load(p, tenantId);
      return store.withTransaction(async (client) => {
        const updated = await updateTenantRow(client, tenantId, patch).catch(
          onUniqueViolation('a tenant with that name or external id exists'),
        );
        const row = { id: tenantId, tenant_id: tenantId };
        await auditRow(client, p, 'update', 'tenant', row, { ...patch });
        if (patch.allowMacOnly !== undefined) {
          // its own audit entry: a security decision, easy to find (#20)
          await auditRow(client, p, patch.allowMacOnly ? 'allow_mac_only' : 'forbid_mac_only', 'tenant', row, {
            allowMacOnly: patch.allowMacOnly,
          });
        }
        return updated;
      });
    },

    /** Deleting cannot be undone: the caller repeats the tenant's name. */
    remove: async (p: Principal, tenantId: string, confirm: string | undefined) => {
      const tenant = await load(p, tenantId);
      if (confirm !== tenant.name) {
        throw new AppError(
          'VALIDATION_FAILED',
          `Deleting a tenant cannot be undone: repeat its name as ?confirm=${tenant.name}`,
          { details: { field: 'confirm' } },
        );
      }
      if (!isPlatformAdmin(p)) throw notFound('tenant');
      await publish.inTransaction(async (client, emit) => {
        // every user of the tenant goes with it: their open sockets end at once (#20)
        for (const userId of await selectTenantUserIds(client, tenant.id)) {
          emit(publish.revocation({ userId, tenantId: tenant.id, reason: 'user_deleted' }));
        }
        await deps.purge(client, tenant.id, null);
        await deleteTenantRow(client, tenant.id);
        await audit(client, p, {
          action: 'delete',
          entity: 'tenant',
          entityId: tenant.id,
          tenantId: null,
          details: { name: tenant.name },
        });
      });
    },
  };
}
