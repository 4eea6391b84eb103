import type { Principal } from '@telemetry/auth';
import { AppError } from '@telemetry/contracts';
import { toAlertV1 } from '@telemetry/store';
import type pg from 'pg';
import { auditRow } from '../http/audited.js';
import type { Emit, Publisher } from '../publish.js';
import {
  type AlertRow,
  addAlertEvent,
  alertEvents,
  isTenantUser,
  loadAlert,
  lockOpenAlertsOfRule,
  setAlertState,
  setAssignee,
  userNames,
} from './repository.js';

type Db = Pick<pg.ClientBase, 'query'>;

export function presentAlert(r: AlertRow, names: Map<string, string> = new Map()) {
  const name = (id: string | null) => (id === null ? null : (names.get(id) ?? null));
  return {
    id: r.id,
    tenantId: r.tenant_id,
    ruleId: r.rule_id,
    deviceId: r.device_id,
    deviceName: r.device_name || null,
    deviceType: r.device_type,
    assetId: r.asset_id,
    assetName: r.asset_name,
    siteId: r.site_id,
    siteName: r.site_name,
    timezone: r.timezone,
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
    acknowledgedByName: name(r.acknowledged_by),
    resolvedAt: r.resolved_at?.toISOString() ?? null,
    resolvedBy: r.resolved_by,
    resolvedByName: name(r.resolved_by),
    resolution: r.resolution,
    assigneeId: r.assignee_id,
    assigneeName: name(r.assignee_id),
  };
}

/** The rules of an alert's lifecycle: acknowledge, resolve, assign, and the history page. */
export function createAlertService(deps: { publish: Publisher; pool: Db; now: () => number }) {
  const { publish } = deps;

  const named = async (db: Db, rows: AlertRow[]) =>
    userNames(
      db,
      rows.flatMap((r) => [r.acknowledged_by, r.resolved_by, r.assignee_id]),
    );

  return {
    /** Names of the people on a page of alerts (one query per page). */
    named,

    async detail(p: Principal, alertId: string) {
      const alert = await loadAlert(deps.pool, p, alertId);
      const events = await alertEvents(deps.pool, alert.id);
      const names = await named(deps.pool, [alert]);
      // the acknowledgement's comment: what the person who took it wrote
      const ack = events.find((e) => e.change === 'acknowledged');
      return {
        ...presentAlert(alert, names),
        acknowledgementNote: ack?.note ?? null,
        events: events.map((e) => ({
          change: e.change,
          actorId: e.actor_id,
          actorName: e.actor_name,
          note: e.note,
          at: e.at.toISOString(),
        })),
      };
    },

    transition: (p: Principal, alertId: string, note: string | undefined, to: 'acknowledged' | 'resolved') =>
      publish.inTransaction(async (client, emit: Emit) => {
        const alert = await loadAlert(client, p, alertId, true);
        if (alert.state === 'resolved') throw new AppError('CONFLICT', 'the alert is resolved already');
        if (to === 'acknowledged' && alert.state === 'acknowledged') {
          return presentAlert(alert, await named(client, [alert])); // idempotent
        }
        const at = new Date(deps.now());
        await setAlertState(client, alert.id, to, at, p.userId);
        await addAlertEvent(client, { alertId: alert.id, change: to, actorId: p.userId, note: note ?? null, at });
        await auditRow(client, p, to === 'acknowledged' ? 'acknowledge' : 'resolve', 'alert', alert, { note });
        const updated = await loadAlert(client, p, alert.id);
        emit(publish.alert(toAlertV1(updated, { change: to, changedAt: at, changedBy: p.userId })));
        return presentAlert(updated, await named(client, [updated]));
      }),

    assign: (p: Principal, alertId: string, userId: string | null) =>
      publish.inTransaction(async (client) => {
        const alert = await loadAlert(client, p, alertId, true);
        if (userId !== null && !(await isTenantUser(client, alert.tenant_id, userId))) {
          throw new AppError('NOT_FOUND', 'assignee not found');
        }
        const at = new Date(deps.now());
        await setAssignee(client, alert.id, userId);
        await addAlertEvent(client, { alertId: alert.id, change: 'assigned', actorId: p.userId, note: null, at });
        await auditRow(client, p, 'assign', 'alert', alert, { userId });
        const updated = await loadAlert(client, p, alert.id);
        return presentAlert(updated, await named(client, [updated]));
      }),
  };
}

export type AlertService = ReturnType<typeof createAlertService>;

/**
 * A rule that is disabled or deleted can no longer clear its alerts: resolve them now, in the
 * caller's transaction, each with its history entry, audit entry and alerts.v1 message (through
 * the outbox, so live dashboards see it). Returns how many.
 */
export async function resolveAlertsOfRule(
  client: Db,
  emit: Emit,
  publish: Publisher,
  p: Principal,
  rule: { id: string; tenant_id: string },
  why: 'rule disabled' | 'rule deleted',
  at: Date,
): Promise<number> {
  const ids = await lockOpenAlertsOfRule(client, rule.id);
  for (const alertId of ids) {
    await setAlertState(
      client,
      alertId,
      'resolved',
      at,
      p.userId,
      why === 'rule disabled' ? 'rule_disabled' : 'rule_deleted',
    );
    await addAlertEvent(client, { alertId, change: 'resolved', actorId: p.userId, note: why, at });
    await auditRow(client, p, 'resolve', 'alert', { id: alertId, tenant_id: rule.tenant_id }, { reason: why });
    const row = await loadAlert(client, p, alertId);
    emit(publish.alert(toAlertV1(row, { change: 'resolved', changedAt: at, changedBy: p.userId })));
  }
  return ids.length;
}
