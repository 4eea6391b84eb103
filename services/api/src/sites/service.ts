import type { Principal } from '@telemetry/auth';
import { AppError } from '@telemetry/contracts';
import type { Store } from '@telemetry/store';
import { audit } from '../audit.js';
import { auditRow, deleteAudited } from '../http/audited.js';
import type { Page } from '../http/pagination.js';
import { notFound, writeTenant } from '../scope.js';
import { onUniqueViolation } from '../unique.js';
import {
  countSiteAssets,
  insertSite,
  type SiteFilter,
  type SiteRow,
  type SiteValues,
  selectSite,
  selectSites,
  updateSiteRow,
} from './repository.js';

type Db = Parameters<typeof selectSite>[0];

export function presentSite(r: SiteRow) {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    name: r.name,
    address: r.address,
    contactPerson: r.contact_person,
    timezone: r.timezone,
    isActive: r.is_active,
    attributes: r.attributes,
    createdAt: r.created_at.toISOString(),
  };
}

/** The rules of sites: one name per tenant, a platform admin names the tenant, deletes only of empty sites. */
export function createSiteService(store: Pick<Store, 'pool' | 'withTransaction'>) {
  const load = async (db: Db, p: Principal, siteId: string): Promise<SiteRow> => {
    const row = await selectSite(db, p, siteId);
    if (!row) throw notFound('site');
    return row;
  };

  return {
    list: (p: Principal, f: SiteFilter): Promise<Page<SiteRow>> => selectSites(store.pool, p, f),
    get: (p: Principal, siteId: string) => load(store.pool, p, siteId),

    create: (p: Principal, input: Partial<SiteValues> & { name: string; tenantId?: string }) =>
      store.withTransaction(async (client) => {
        const tenantId = writeTenant(p, input.tenantId);
        const row = await insertSite(client, tenantId, {
          name: input.name,
          address: input.address ?? '',
          contactPerson: input.contactPerson ?? '',
          timezone: input.timezone ?? 'UTC',
          isActive: input.isActive ?? true,
          attributes: input.attributes ?? {},
        });
        if (!row) throw new AppError('CONFLICT', `a site named ${input.name} exists`);
        await audit(client, p, {
          action: 'create',
          entity: 'site',
          entityId: row.id,
          tenantId,
          details: { name: input.name },
        });
        return row;
      }),

    update: (p: Principal, siteId: string, patch: Partial<SiteValues>) =>
      store.withTransaction(async (client) => {
        const site = await load(client, p, siteId);
        const row = await updateSiteRow(client, site.id, patch).catch(
          onUniqueViolation(`a site named ${patch.name} exists`),
        );
        await auditRow(client, p, 'update', 'site', site, patch);
        return row;
      }),

    /** A site with assets is refused with how many (its assets would lose their place silently, #21). */
    remove: (p: Principal, siteId: string) =>
      deleteAudited(store, p, {
        entity: 'site',
        table: 'sites',
        load: async (db) => {
          const site = await load(db, p, siteId);
          const assets = await countSiteAssets(db, site.id);
          if (assets > 0) {
            throw new AppError(
              'CONFLICT',
              `${site.name} still has ${assets} asset(s): delete or move them to another site first`,
              { details: { field: 'siteId', assets } },
            );
          }
          return site;
        },
        details: (site) => ({ name: site.name }),
      }),
  };
}
