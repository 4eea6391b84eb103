import { isPlatformAdmin } from '@telemetry/auth';
import { AppError } from '@telemetry/contracts';
import type { Directory, UserRecord } from './directory.js';
import type { Scope } from './protocol.js';

/**
 * May this user watch this scope? Answered from the database (through the directory's short
 * caches), never from the token alone:
 * - a platform admin (admin without tenant) may watch anything that exists;
 * - everyone else only inside their own tenant; a foreign or unknown id is the same FORBIDDEN
 *   (no probing other tenants for ids);
 * - viewers only their assigned sites and assets and the subtrees below them (so never a whole
 *   tenant); the other roles see their whole tenant, as in the API (`PermissionRoles`).
 */
export async function checkSubscription(
  directory: Directory,
  user: UserRecord,
  scope: Scope,
  id: string,
): Promise<void> {
  const target = await locate(directory, scope, id);
  if (isPlatformAdmin(user)) {
    if (!target) throw new AppError('NOT_FOUND', `No ${scope} ${id}`);
    return;
  }
  const forbidden = () => new AppError('FORBIDDEN', `Not allowed to watch ${scope} ${id}`);
  if (!target || target.tenantId === null || target.tenantId !== user.tenantId) throw forbidden();
  if (user.role !== 'viewer') return;

  const mine = await directory.assignments(user.id);
  const allowed = target.sites.some((s) => mine.sites.has(s)) || target.assets.some((a) => mine.assets.has(a));
  if (!allowed) throw forbidden();
}

interface Target {
  tenantId: string | null;
  /** The sites and assets (chain up to the root) it lies in: an assignment to any of them grants it. */
  sites: string[];
  assets: string[];
}

async function locate(directory: Directory, scope: Scope, id: string): Promise<Target | null> {
  switch (scope) {
    case 'tenant':
      // No assignment covers a whole tenant: viewers are refused by the empty lists.
      return (await directory.tenantExists(id)) ? { tenantId: id, sites: [], assets: [] } : null;
    case 'site': {
      const site = await directory.site(id);
      return site ? { tenantId: site.tenantId, sites: [id], assets: [] } : null;
    }
    case 'asset': {
      const asset = await directory.asset(id);
      return asset ? { tenantId: asset.tenantId, sites: asset.sites, assets: asset.chain } : null;
    }
    case 'device': {
      const device = await directory.device(id);
      if (!device) return null;
      const asset = device.assetId ? await directory.asset(device.assetId) : null;
      const inTenant = asset && asset.tenantId === device.tenantId;
      return {
        tenantId: device.tenantId,
        sites: inTenant ? asset.sites : [],
        assets: inTenant ? asset.chain : [],
      };
    }
  }
}
