import type { Principal } from '@telemetry/auth';
import { AppError } from '@telemetry/contracts';
import { type AlertRow as AlertMessageRow, alertColumns, toAlertV1 } from '@telemetry/store';
import type pg from 'pg';
import { z } from 'zod';
import { audit } from '../audit.js';
import type { ApiContext } from '../context.js';
import { type Keyset, listPage } from '../http/pagination.js';
import type { RouteTable } from '../http/route-table.js';
import { deviceId, id, isoTime, pageQuery, qList } from '../http/validation.js';
import type { Emit } from '../publish.js';
import { notFound, tenantWhere, visibleWorkWhere } from '../scope.js';

/** The row the routes read: what its alerts.v1 message needs, and the acknowledge/resolve trail. */
interface AlertRow extends AlertMessageRow {
  acknowledged_at: Date | null;
  acknowledged_by: string | null;
  resolved_at: Date | null;
  resolved_by: string | null;
  resolution: string | null;
}
const COLUMNS = `${alertColumns('al')},
  al.acknowledged_at, al.acknowledged_by, al.resolved_at, al.resolved_by, al.resolution`;

function presentAlert(r: AlertRow) {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    ruleId: r.rule_id,
    deviceId: r.device_id,
    assetId: r.asset_id,
    kind: r.kind,
    severity: r.severity,
    state: r.state,
    metric: r.metric,
    value: r.value,
    threshold: r.threshold,
    message: r.message,
    historical: r.historical,
    openedAt: r.opened_at.toISOString(),
    acknowledgedAt: r.acknowledged_at?.toISOString() ?? null,
    acknowledgedBy: r.acknowledged_by,
    resolvedAt: r.resolved_at?.toISOString() ?? null,
    resolvedBy: r.resolved_by,
    resolution: r.resolution,
  };
}

/** Alerts a person sees: tenant-scoped; viewers and operators by their assignments (scope.ts). */
function scope(p: Principal, params: unknown[]): string {
  return `${tenantWhere(p, 'al.tenant_id', params)} AND ${visibleWorkWhere(p, 'al.asset_id', params)}`;
}

const AlertParams = z.object({ alertId: id });
const Note = z.object({ note: z.string().max(2000).optional() });

export function registerAlertRoutes(table: RouteTable, ctx: ApiContext): void {
  const { store, publish } = ctx;

  const load = async (
    db: Pick<pg.ClientBase, 'query'>,
    p: Principal,
    alertId: string,
    lock = false,
  ): Promise<AlertRow> => {
    const params: unknown[] = [alertId];
    const { rows } = await db.query<AlertRow>(
      `SELECT ${COLUMNS} FROM alerts al WHERE al.id = $1 AND ${scope(p, params)}${lock ? ' FOR UPDATE' : ''}`,
      params,
    );
    if (!rows[0]) throw notFound('alert');
    return rows[0];
  };

  table.add({
    method: 'get',
    path: '/api/alerts',
    summary: 'Alerts, newest first; filters: state (or active = open + acknowledged), severity, device, asset, since',
    tags: ['alerts'],
    access: 'alerts:read',
    query: z.object({
      ...pageQuery,
      state: qList(z.enum(['open', 'acknowledged', 'resolved', 'active'])).optional(),
      severity: qList(z.enum(['info', 'warning', 'critical'])).optional(),
      kind: qList(z.enum(['threshold', 'offline', 'maintenance', 'manual', 'invalid_data'])).optional(),
      deviceId: deviceId.optional(),
      assetId: id.optional(),
      since: isoTime.optional(),
      tenantId: id.optional(),
    }),
    handler: async ({ query, principal }) => {
      const params: unknown[] = [];
      const where = [scope(principal, params)];
      if (query.state) {
        const states = query.state.flatMap((s) => (s === 'active' ? ['open', 'acknowledged'] : [s]));
        where.push(`al.state = ANY($${params.push(states)}::text[])`);
      }
      if (query.severity) where.push(`al.severity = ANY($${params.push(query.severity)}::text[])`);
      if (query.kind) where.push(`al.kind = ANY($${params.push(query.kind)}::text[])`);
      if (query.deviceId) where.push(`al.device_id = $${params.push(query.deviceId)}`);
      if (query.assetId) where.push(`al.asset_id = $${params.push(query.assetId)}`);
      if (query.since) where.push(`al.opened_at >= $${params.push(query.since)}`);
      if (query.tenantId) where.push(`al.tenant_id = $${params.push(query.tenantId)}`);
      const keyset: Keyset = { column: 'al.opened_at', type: 'timestamptz', id: 'al.id', direction: 'desc' };
      return listPage(store.pool, { columns: COLUMNS, from: 'alerts al', where, params, keyset }, query, presentAlert);
    },
  });

  table.add({
    method: 'get',
    path: '/api/alerts/:alertId',
    summary: 'One alert with its history (opened, acknowledged, resolved, reminders)',
    tags: ['alerts'],
    access: 'alerts:read',
    params: AlertParams,
    handler: async ({ params, principal }) => {
      const alert = await load(store.pool, principal, params.alertId);
      const { rows } = await store.pool.query<{
        change: string;
        actor_id: string | null;
        note: string | null;
        at: Date;
      }>('SELECT change, actor_id, note, at FROM alert_events WHERE alert_id = $1 ORDER BY at, id LIMIT 500', [
        alert.id,
      ]);
      return {
        ...presentAlert(alert),
        events: rows.map((e) => ({ change: e.change, actorId: e.actor_id, note: e.note, at: e.at.toISOString() })),
      };
    },
  });

  const transition = async (
    p: Principal,
    alertId: string,
    note: string | undefined,
    to: 'acknowledged' | 'resolved',
  ): Promise<AlertRow> =>
    publish.inTransaction(async (client, emit: Emit) => {
      const alert = await load(client, p, alertId, true);
      if (alert.state === 'resolved') throw new AppError('CONFLICT', 'the alert is resolved already');
      if (to === 'acknowledged' && alert.state === 'acknowledged') return alert; // idempotent
      const at = new Date(ctx.now());
      const { rows } = await client.query<AlertRow>(
        to === 'acknowledged'
          ? `UPDATE alerts al SET state = 'acknowledged', acknowledged_at = $2, acknowledged_by = $3 WHERE id = $1 RETURNING ${COLUMNS}`
          : `UPDATE alerts al SET state = 'resolved', resolved_at = $2, resolved_by = $3, resolution = 'manual',
               acknowledged_at = coalesce(acknowledged_at, $2), acknowledged_by = coalesce(acknowledged_by, $3)
             WHERE id = $1 RETURNING ${COLUMNS}`,
        [alert.id, at, p.userId],
      );
      const updated = rows[0] as AlertRow;
      await client.query(
        'INSERT INTO alert_events (alert_id, change, actor_id, note, at) VALUES ($1, $2, $3, $4, $5)',
        [alert.id, to, p.userId, note ?? null, at],
      );
      await audit(client, p, {
        action: to === 'acknowledged' ? 'acknowledge' : 'resolve',
        entity: 'alert',
        entityId: alert.id,
        tenantId: alert.tenant_id,
        details: { note },
      });
      emit(publish.alert(toAlertV1(updated, { change: to, changedAt: at, changedBy: p.userId })));
      return updated;
    });

  table.add({
    method: 'post',
    path: '/api/alerts/:alertId/acknowledge',
    summary: 'Acknowledge an alert (operators, managers, admins)',
    tags: ['alerts'],
    access: 'alerts:acknowledge',
    params: AlertParams,
    body: Note,
    example: { note: 'on my way' },
    handler: async ({ params, body, principal }) =>
      presentAlert(await transition(principal, params.alertId, body.note, 'acknowledged')),
  });

  table.add({
    method: 'post',
    path: '/api/alerts/:alertId/resolve',
    summary: 'Resolve an alert by hand (managers and admins only: an operator gets 403)',
    tags: ['alerts'],
    access: 'alerts:resolve',
    params: AlertParams,
    body: Note,
    example: { note: 'refilled' },
    handler: async ({ params, body, principal }) =>
      presentAlert(await transition(principal, params.alertId, body.note, 'resolved')),
  });
}
