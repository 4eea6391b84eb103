import { AlertV1 } from '@telemetry/contracts';
import { type AlertRow, alertColumns, toAlertV1 } from '@telemetry/store';
import { type EnqueueDeps, type Enqueued, enqueueAlert } from './enqueue.js';

interface OpenAlertRow extends AlertRow {
  created_at: Date;
  reminder_s: number;
}

/**
 * Reminders while an alert stays open (not acknowledged): every rules.reminder_s after it was
 * raised (wall time, alerts.created_at), reminder number n = elapsed / reminder_s is enqueued
 * directly with the key `${alertId}:reminder-${n}:${email}`, so replicas and restarts send each
 * one once. A notifier that was down sends the latest reminder, not every missed one.
 */
export async function remindOpenAlerts(deps: EnqueueDeps): Promise<Enqueued> {
  const now = deps.now();
  const { rows } = await deps.pool.query<OpenAlertRow>(
    `SELECT ${alertColumns('a')}, a.created_at, r.reminder_s
     FROM alerts a JOIN rules r ON r.id = a.rule_id
     WHERE a.state = 'open' AND r.reminder_s > 0
       AND a.created_at <= $1::timestamptz - make_interval(secs => r.reminder_s)`,
    [new Date(now).toISOString()],
  );
  const total: Enqueued = { queued: 0, suppressed: 0 };
  for (const row of rows) {
    const n = Math.floor((now - row.created_at.getTime()) / (row.reminder_s * 1000));
    if (n < 1) continue;
    const alert = AlertV1.parse(toAlertV1(row, { change: 'reminder', changedAt: new Date(now), changedBy: null }));
    const r = await enqueueAlert(deps, alert, { reminderNumber: n });
    total.queued += r.queued;
    total.suppressed += r.suppressed;
  }
  return total;
}
