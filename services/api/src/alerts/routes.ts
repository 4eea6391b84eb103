import { Alert, AlertDetail, page } from '@telemetry/api-contract';
import { z } from 'zod';
import type { ApiContext } from '../context.js';
import { mapPage } from '../http/pagination.js';
import type { RouteTable } from '../http/route-table.js';
import { deviceId, id, isoTime, pageQuery, qList } from '../http/validation.js';
import { listAlerts } from './repository.js';
import { createAlertService, presentAlert } from './service.js';

const AlertParams = z.object({ alertId: id });
const Note = z.object({ note: z.string().max(2000).optional() });

/** Transport of the alerts resource: the route specs; rules in service.ts, SQL in repository.ts. */
export function registerAlertRoutes(table: RouteTable, ctx: ApiContext): void {
  const { store } = ctx;
  const alerts = createAlertService({ publish: ctx.publish, pool: store.pool, now: ctx.now });

  table.add({
    method: 'get',
    path: '/api/alerts',
    summary:
      'Alerts, newest first, paged; filters: state (or active = open + acknowledged), severity, kind, device, asset, site, rule, since/until (opened)',
    tags: ['alerts'],
    access: 'alerts:read',
    response: page(Alert),
    query: z.object({
      ...pageQuery,
      state: qList(z.enum(['open', 'acknowledged', 'resolved', 'active'])).optional(),
      severity: qList(z.enum(['info', 'warning', 'critical'])).optional(),
      kind: qList(z.enum(['threshold', 'offline', 'maintenance', 'manual', 'invalid_data'])).optional(),
      deviceId: deviceId.optional(),
      assetId: id.optional(),
      siteId: id.optional(),
      ruleId: id.optional(),
      since: isoTime.optional(),
      until: isoTime.optional(),
      tenantId: id.optional(),
    }),
    handler: async ({ query, principal }) => {
      const { state, limit, cursor, ...filter } = query;
      const states = state?.flatMap((s) => (s === 'active' ? ['open', 'acknowledged'] : [s]));
      const page = await listAlerts(store.pool, principal, { ...filter, states }, { limit, cursor }, (r) => r);
      const names = await alerts.named(store.pool, page.items);
      return mapPage(page, (r) => presentAlert(r, names));
    },
  });

  table.add({
    method: 'get',
    path: '/api/alerts/:alertId',
    summary:
      'One alert with its history (opened, acknowledged, assigned, resolved, reminders) and acknowledgement note',
    tags: ['alerts'],
    access: 'alerts:read',
    response: AlertDetail,
    params: AlertParams,
    handler: ({ params, principal }) => alerts.detail(principal, params.alertId),
  });

  /** The two hand transitions: same body and answer, each its own permission. */
  for (const t of [
    {
      verb: 'acknowledge',
      to: 'acknowledged',
      access: 'alerts:acknowledge',
      summary: 'Acknowledge an alert with an optional comment (operators, managers, admins); takes it when unassigned',
      note: 'on my way',
    },
    {
      verb: 'resolve',
      to: 'resolved',
      access: 'alerts:resolve',
      summary: 'Resolve an alert by hand (managers and admins only: an operator gets 403)',
      note: 'refilled',
    },
  ] as const) {
    table.add({
      method: 'post',
      path: `/api/alerts/:alertId/${t.verb}`,
      summary: t.summary,
      tags: ['alerts'],
      access: t.access,
      response: Alert,
      params: AlertParams,
      body: Note,
      example: { note: t.note },
      handler: ({ params, body, principal }) => alerts.transition(principal, params.alertId, body.note, t.to),
    });
  }

  table.add({
    method: 'post',
    path: '/api/alerts/:alertId/assignee',
    summary: 'Assign an alert to a person of the tenant, or unassign it (userId null) (managers, admins)',
    tags: ['alerts'],
    access: 'alerts:resolve',
    response: Alert,
    params: AlertParams,
    body: z.object({ userId: id.nullable() }),
    example: { userId: null },
    handler: ({ params, body, principal }) => alerts.assign(principal, params.alertId, body.userId),
  });
}
