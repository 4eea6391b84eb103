import { isAppError } from '@telemetry/contracts';
import type { Logger } from '@telemetry/observability';
import { backoffMs } from '@telemetry/runtime';
import type pg from 'pg';
import type { Mailer } from './mailer/index.js';
import type { NotifierMetrics } from './metrics.js';

export interface SenderDeps {
  pool: pg.Pool;
  mailer: Mailer;
  from: string;
  now: () => number;
  logger: Logger;
  metrics: NotifierMetrics;
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** A row claimed longer ago than this belongs to a sender that died mid-send. */
  sendingTimeoutMs: number;
  batchSize?: number;
  /** Fault injection for tests: runs after the SMTP server accepted a mail, before it is marked sent. */
  afterSend?: (row: ClaimedRow) => void | Promise<void>;
}

export interface ClaimedRow {
  id: string;
  recipient: string;
  subject: string;
  body: string;
  message_id: string;
  attempts: number;
  dedupe_key: string;
}

const iso = (t: number) => new Date(t).toISOString();

/**
 * One pass of the sender: claim due rows, send each, record the outcome.
 *
 * Exactly once per row, and what happens on a crash. Claiming sets status 'sending' (and counts
 * the attempt) in its own committed statement BEFORE the SMTP transaction; success then sets
 * 'sent'. A process killed between the two leaves the row in 'sending', and nobody can know
 * whether the server took the mail. We choose at-most-once for that window: after
 * sendingTimeoutMs, `recoverStuck` marks such a row 'sent' with sent_at NULL and last_error
 * "outcome unknown" (logged as a warning), and never sends it again. Resending would risk the
 * duplicate the issue forbids; the window is a few milliseconds per mail, whereas SMTP failures
 * that the server reports (4xx, 5xx, connection refused) are all retried or recorded. Every
 * attempt carries the same stored Message-ID, so even the one remaining duplicate path (a reply
 * lost after the server queued the mail, followed by a retry) is recognizable by the receiver.
 */
export async function sendDue(deps: SenderDeps): Promise<{ sent: number; retried: number; failed: number }> {
  const now = deps.now();
  const { rows } = await deps.pool.query<ClaimedRow>(
    `UPDATE notification_outbox SET status = 'sending', attempts = attempts + 1, next_attempt_at = $2::timestamptz
     WHERE id IN (
       SELECT id FROM notification_outbox WHERE status = 'pending' AND next_attempt_at <= $1::timestamptz
       ORDER BY next_attempt_at, id LIMIT $3 FOR UPDATE SKIP LOCKED)
     RETURNING id::text, recipient, subject, body, message_id, attempts, dedupe_key`,
    [iso(now), iso(now + deps.sendingTimeoutMs), deps.batchSize ?? 20],
  );
  const result = { sent: 0, retried: 0, failed: 0 };
  for (const row of rows) {
    let error: unknown;
    try {
      await deps.mailer.send({
        messageId: row.message_id,
        from: deps.from,
        to: row.recipient,
        subject: row.subject,
        text: row.body,
      });
    } catch (err) {
      error = err;
    }
    if (error === undefined) {
      // outside the try: a fault here (the test's "crash") must leave the row in 'sending'
      await deps.afterSend?.(row);
      await deps.pool.query(
        `UPDATE notification_outbox SET status = 'sent', sent_at = $2::timestamptz, last_error = NULL WHERE id = $1 AND status = 'sending'`,
        [row.id, iso(deps.now())],
      );
      deps.metrics.mails.inc({ result: 'sent' });
      result.sent++;
      continue;
    }
    const message = (error as Error).message ?? String(error);
    const retriable = isAppError(error) ? error.retriable : true;
    if (retriable && row.attempts < deps.maxAttempts) {
      const delay = backoffMs(row.attempts, { baseMs: deps.retryBaseMs, maxMs: deps.retryMaxMs });
      await deps.pool.query(
        `UPDATE notification_outbox SET status = 'pending', next_attempt_at = $2::timestamptz, last_error = $3
         WHERE id = $1 AND status = 'sending'`,
        [row.id, iso(deps.now() + delay), message],
      );
      deps.logger.warn(
        { outboxId: row.id, to: row.recipient, attempt: row.attempts, retryInMs: delay, err: error },
        'mail not sent, will retry',
      );
      deps.metrics.mails.inc({ result: 'retry' });
      result.retried++;
    } else {
      await deps.pool.query(
        `UPDATE notification_outbox SET status = 'failed', last_error = $2 WHERE id = $1 AND status = 'sending'`,
        [row.id, message],
      );
      deps.logger.error(
        { outboxId: row.id, to: row.recipient, attempt: row.attempts, err: error },
        'mail failed for good',
      );
      deps.metrics.mails.inc({ result: 'failed' });
      result.failed++;
    }
  }
  return result;
}

/** Rows left in 'sending' by a dead sender: assumed sent, never resent (see sendDue). */
export async function recoverStuck(deps: Pick<SenderDeps, 'pool' | 'now' | 'logger' | 'metrics'>): Promise<number> {
  const { rows } = await deps.pool.query<{ id: string; recipient: string; message_id: string }>(
    `UPDATE notification_outbox
     SET status = 'sent', last_error = 'outcome unknown: the sender stopped during the SMTP transaction; assumed sent, not resent'
     WHERE status = 'sending' AND next_attempt_at <= $1::timestamptz
     RETURNING id::text, recipient, message_id`,
    [iso(deps.now())],
  );
  for (const r of rows) {
    deps.logger.warn(
      { outboxId: r.id, to: r.recipient, messageId: r.message_id },
      'mail outcome unknown after a crash: not resent (at-most-once)',
    );
    deps.metrics.mails.inc({ result: 'unknown' });
  }
  return rows.length;
}
