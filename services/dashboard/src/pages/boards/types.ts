import type { Layout } from './layout.js';

/** GET /api/dashboards/{id} (services/api/src/dashboards/service.ts). */
export interface Dashboard {
  id: string;
  tenantId: string;
  name: string;
  description: string;
  layout: Layout;
  version: number;
  createdBy: string | null;
  updatedBy: string | null;
  createdAt: string;
  updatedAt: string;
}

/** An item of GET /api/dashboards: the layout's widget count instead of the layout. */
export type DashboardSummary = Omit<Dashboard, 'layout'> & { widgets: number };

export interface DashboardDraft {
  name: string;
  description: string;
  layout: Layout;
}
