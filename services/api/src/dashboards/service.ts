import type { DashboardLayout as Layout } from '@telemetry/api-contract';
import type { Principal } from '@telemetry/auth';
import { AppError } from '@telemetry/contracts';
import type { Store } from '@telemetry/store';
import { auditRow, deleteAudited } from '../http/audited.js';
import type { Page } from '../http/pagination.js';
import { notFound, writeTenant } from '../scope.js';
import { boundIds } from './layout.js';
import {
  countDashboards,
  type DashboardRow,
  foreignBindings,
  getDashboard,
  insertDashboard,
  listDashboards,
  nameTaken,
  updateDashboard,
} from './repository.js';

/** A tenant keeps at most this many pages: the list and the store stay small. */
const MAX_DASHBOARDS_PER_TENANT = 200;

export interface DashboardDraft {
  name: string;
  description: string;
  layout: Layout;
}

/**
 * The rules of dashboards: everybody in the tenant reads them (the routes' `dashboards:read`);
 * managers and admins create, change and delete them (`dashboards:write`, checked by the route
 * table before this runs). A save names the version it edited: a stale one is a 409, never a
 * silent overwrite of a colleague's change. Bindings must be the tenant's own devices and assets.
 */
export function createDashboardService(store: Pick<Store, 'pool' | 'withTransaction'>) {
  const present = (r: DashboardRow) => ({
    id: r.id,
    tenantId: r.tenant_id,
    name: r.name,
    description: r.description,
    layout: r.layout as Layout,
    version: r.version,
    createdBy: r.created_by,
    updatedBy: r.updated_by,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  });
  type Db = Parameters<Parameters<Store['withTransaction']>[0]>[0];

  /**
   * Serializes the tenant's creations and renames, so the cap and the name check hold under
   * concurrency (the unique index would otherwise answer a race with a 500). NO KEY UPDATE: the
   * foreign-key checks of rows written meanwhile for the tenant (readings, alerts) do not wait on it.
   */
  async function lockTenant(db: Db, tenantId: string): Promise<boolean> {
    const { rowCount } = await db.query('SELECT 1 FROM tenants WHERE id = $1 FOR NO KEY UPDATE', [tenantId]);
    return Boolean(rowCount);
  }

  async function checkBindings(db: Db, tenantId: string, layout: Layout): Promise<void> {
    const foreign = await foreignBindings(db, tenantId, boundIds(layout));
    const errors = [
      ...foreign.devices.map((d) => ({ path: 'body.layout.widgets', message: `device ${d} not found` })),
      ...foreign.assets.map((a) => ({ path: 'body.layout.widgets', message: `asset ${a} not found` })),
    ];
    if (errors.length)
      throw new AppError(
        'VALIDATION_FAILED',
        `A widget is bound to what this tenant does not have: ${errors.map((e) => e.message).join('; ')}`,
        { details: { errors } },
      );
  }

  async function checkName(db: Db, tenantId: string, name: string, exceptId?: string): Promise<void> {
    if (await nameTaken(db, tenantId, name, exceptId))
      throw new AppError('CONFLICT', `A dashboard named "${name}" exists already`, { details: { field: 'name' } });
  }

  return {
    async list(p: Principal, q: { tenantId?: string; limit: number; cursor?: string }) {
      const page: Page<DashboardRow> = await listDashboards(store.pool, p, q);
      // the list shows names and sizes; the layout comes with GET of one
      return {
        items: page.items.map((r) => {
          const { layout, ...rest } = present(r);
          return { ...rest, widgets: layout.widgets.length };
        }),
        nextCursor: page.nextCursor,
      };
    },

    async get(p: Principal, dashboardId: string) {
      const row = await getDashboard(store.pool, p, dashboardId);
      if (!row) throw notFound('dashboard');
      return present(row);
    },

    async create(p: Principal, draft: DashboardDraft & { tenantId?: string }) {
      const tenantId = writeTenant(p, draft.tenantId);
      return store.withTransaction(async (db) => {
        if (!(await lockTenant(db, tenantId))) throw notFound('tenant');
        if ((await countDashboards(db, tenantId)) >= MAX_DASHBOARDS_PER_TENANT)
          throw new AppError('CONFLICT', `A tenant keeps at most ${MAX_DASHBOARDS_PER_TENANT} dashboards`);
        await checkName(db, tenantId, draft.name);
        await checkBindings(db, tenantId, draft.layout);
        const row = await insertDashboard(db, { ...draft, tenantId, userId: p.userId });
        await auditRow(db, p, 'create', 'dashboard', row, { name: row.name, widgets: draft.layout.widgets.length });
        return present(row);
      });
    },

    async update(p: Principal, dashboardId: string, draft: DashboardDraft & { version: number }) {
      return store.withTransaction(async (db) => {
        const row = await getDashboard(db, p, dashboardId, { forUpdate: true });
        if (!row) throw notFound('dashboard');
        await lockTenant(db, row.tenant_id);
        if (row.version !== draft.version)
          throw new AppError(
            'CONFLICT',
            `This dashboard was saved by someone else meanwhile (version ${row.version}, yours ${draft.version}): reload it`,
            { details: { field: 'version', current: row.version } },
          );
        await checkName(db, row.tenant_id, draft.name, row.id);
        await checkBindings(db, row.tenant_id, draft.layout);
        const next = await updateDashboard(db, row.id, { ...draft, userId: p.userId });
        await auditRow(db, p, 'update', 'dashboard', next, {
          name: next.name,
          version: next.version,
          widgets: draft.layout.widgets.map((w) => w.kind),
        });
        return present(next);
      });
    },

    remove(p: Principal, dashboardId: string): Promise<void> {
      return deleteAudited(store, p, {
        entity: 'dashboard',
        table: 'dashboards',
        load: async (db) => {
          const row = await getDashboard(db, p, dashboardId, { forUpdate: true });
          if (!row) throw notFound('dashboard');
          return row;
        },
        details: (r) => ({ name: r.name, version: r.version }),
      });
    },
  };
}
