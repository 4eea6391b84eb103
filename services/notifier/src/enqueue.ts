import { createHash } from 'node:crypto';
import type { AlertV1, TaskV1 } from '@telemetry/contracts';
import type pg from 'pg';
import { composeAlertMail, composeTaskMail } from './compose.js';
import { alertRecipients, type Recipient, taskRecipients } from './recipients.js';
import { loadWhereabouts } from './whereabouts.js';

export interface EnqueueDeps {
  pool: pg.Pool;
  now: () => number;
  /** The domain of generated Message-IDs. */
  messageIdDomain: string;
}

export interface Enqueued {
  queued: number;
  suppressed: number;
}

interface OutboxRow {
  tenantId: string;
  dedupeKey: string;
  alertId: string | null;
  taskId: string | null;
  recipient: string;
  subject: string;
  body: string;
  status: 'pending' | 'suppressed';
  lastError: string | null;
}

/**
 * The Message-ID of an outbox row, derived from its dedupe key and stored with the row BEFORE any
 * send: every attempt of one mail carries the same id, so a receiving system can recognize the
 * rare duplicate (an SMTP reply lost after the server took the message).
 */
export function messageIdFor(dedupeKey: string, domain: string): string {
  return `<n.${createHash('sha256').update(dedupeKey).digest('hex').slice(0, 40)}@${domain}>`;
}

/**
 * Turns an alert change into outbox rows, one per recipient, keyed `${alertId}:${change}:${email}`
 * (a reminder's change is `reminder-<n>`). Redelivered messages hit ON CONFLICT DO NOTHING.
 *
 * What is mailed:
 * - opened: always. A new alert is a new episode (the rule's hysteresis and minimum duration
 *   decide that a value flapping around the threshold is one episode), and its first mail must
 *   not be swallowed by the previous episode's cooldown (issue 19: a dispenser refilled and
 *   running low again within 15 minutes got no mail).
 * - reminder: yes, unless that recipient got a mail about THIS alert within its cooldown_s (row
 *   kept with status 'suppressed'): the cooldown stops repeats within one episode.
 * - resolved: yes, unless that recipient's `opened` mail of this alert was suppressed (no
 *   "resolved" for an alert they never heard of).
 * - acknowledged: no mail (the person acknowledging knows; it stops the reminders).
 */
export async function enqueueAlert(
  deps: EnqueueDeps,
  alert: AlertV1,
  options: { reminderNumber?: number } = {},
): Promise<Enqueued> {
  if (alert.change === 'acknowledged') return { queued: 0, suppressed: 0 };
  const found = await deps.pool.query<{ id: string }>('SELECT id FROM alerts WHERE id = $1 AND tenant_id = $2', [
    alert.alertId,
    alert.tenantId,
  ]);
  if (found.rowCount === 0) return { queued: 0, suppressed: 0 }; // deleted meanwhile: nothing to tell
  const recipients = await alertRecipients(deps.pool, alert);
  if (recipients.length === 0) return { queued: 0, suppressed: 0 };
  const where = await loadWhereabouts(deps.pool, alert);
  const mail = composeAlertMail(alert, where, options);
  const change = alert.change === 'reminder' ? `reminder-${options.reminderNumber ?? 1}` : alert.change;
  const suppressed = await suppressedRecipients(deps, alert, recipients);
  const rows: OutboxRow[] = recipients.map((r) => ({
    tenantId: alert.tenantId,
    dedupeKey: `${alert.alertId}:${change}:${r.email}`,
    alertId: alert.alertId,
    taskId: null,
    recipient: r.email,
    subject: mail.subject,
    body: mail.text,
    status: suppressed.has(r.email) ? 'suppressed' : 'pending',
    lastError: suppressed.get(r.email) ?? null,
  }));
  return insertRows(deps, rows);
}

/** A task created or (re)assigned: a mail to each assignee with an email address. */
export async function enqueueTask(deps: EnqueueDeps, task: TaskV1): Promise<Enqueued> {
  if (task.change === 'status_changed') return { queued: 0, suppressed: 0 };
  const found = await deps.pool.query('SELECT 1 FROM tasks WHERE id = $1 AND tenant_id = $2', [
    task.taskId,
    task.tenantId,
  ]);
  if (found.rowCount === 0) return { queued: 0, suppressed: 0 };
  const recipients = await taskRecipients(deps.pool, task.tenantId, task.assignees);
  if (recipients.length === 0) return { queued: 0, suppressed: 0 };
  const mail = composeTaskMail(task, await loadWhereabouts(deps.pool, task));
  return insertRows(
    deps,
    recipients.map((r) => ({
      tenantId: task.tenantId,
      dedupeKey: `task:${task.taskId}:${task.change}:${r.email}`,
      alertId: null,
      taskId: task.taskId,
      recipient: r.email,
      subject: mail.subject,
      body: mail.text,
      status: 'pending',
      lastError: null,
    })),
  );
}

/** Recipients whose mail about this change is suppressed, with the reason. */
async function suppressedRecipients(
  deps: EnqueueDeps,
  alert: AlertV1,
  recipients: Recipient[],
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const emails = recipients.map((r) => r.email);
  if (alert.change === 'resolved') {
    const { rows } = await deps.pool.query<{ recipient: string }>(
      `SELECT recipient FROM notification_outbox WHERE dedupe_key = ANY($1::text[]) AND status = 'suppressed'`,
      [emails.map((e) => `${alert.alertId}:opened:${e}`)],
    );
    for (const r of rows) out.set(r.recipient, 'suppressed: the opened notice was suppressed by the cooldown');
    return out;
  }
  if (alert.change !== 'reminder') return out;
  const { rows } = await deps.pool.query<{ recipient: string; last: Date }>(
    `SELECT o.recipient, max(o.created_at) AS last
     FROM notification_outbox o
     WHERE o.tenant_id = $1 AND o.alert_id = $2 AND o.recipient = ANY($3::text[])
       AND o.status IN ('pending', 'sending', 'sent')
     GROUP BY o.recipient`,
    [alert.tenantId, alert.alertId, emails],
  );
  const now = deps.now();
  for (const r of rows) {
    const cooldownS = recipients.find((x) => x.email === r.recipient)?.cooldownS ?? 0;
    if (now - r.last.getTime() < cooldownS * 1000)
      out.set(r.recipient, `suppressed: cooldown (${cooldownS}s) after this alert's mail of ${r.last.toISOString()}`);
  }
  return out;
}

async function insertRows(deps: EnqueueDeps, rows: OutboxRow[]): Promise<Enqueued> {
  if (rows.length === 0) return { queued: 0, suppressed: 0 };
  const now = new Date(deps.now()).toISOString();
  const { rows: inserted } = await deps.pool.query<{ status: string }>(
    `INSERT INTO notification_outbox
       (tenant_id, dedupe_key, alert_id, task_id, recipient, subject, body, status, last_error, message_id, created_at, next_attempt_at)
     SELECT t, k, a, tk, r, s, b, st, le, m, $11::timestamptz, $11::timestamptz
     FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::uuid[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[])
       AS x(t, k, a, tk, r, s, b, st, le, m)
     ON CONFLICT (dedupe_key) DO NOTHING
     RETURNING status`,
    [
      rows.map((r) => r.tenantId),
      rows.map((r) => r.dedupeKey),
      rows.map((r) => r.alertId),
      rows.map((r) => r.taskId),
      rows.map((r) => r.recipient),
      rows.map((r) => r.subject),
      rows.map((r) => r.body),
      rows.map((r) => r.status),
      rows.map((r) => r.lastError),
      rows.map((r) => messageIdFor(r.dedupeKey, deps.messageIdDomain)),
      now,
    ],
  );
  return {
    queued: inserted.filter((r) => r.status === 'pending').length,
    suppressed: inserted.filter((r) => r.status === 'suppressed').length,
  };
}
