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
 * At least once per row, with one Message-ID, and what happens on a crash (#15). Claiming sets
 * status 'sending' (and counts the attempt) in its own committed statement BEFORE the SMTP
 * transaction; success then sets 'sent'. A process killed between the two leaves the row in
 * 'sending', and nobody can know whether the server took the mail. For an alert a lost mail is
 * worse than a repeated one, so after sendingTimeoutMs `recoverStuck` puts such a row back to
 * 'pending' (last_error "outcome unknown", logged, counted as result="unknown") and it is sent
 * again. Every attempt carries the same stored Message-ID, so the receiving client recognizes
 * (and threads, or drops) the duplicate. `attempts` counts every claim, the unknown ones too.
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
        `UPDATE notification_outbox SET status = 'sent', sent_at = $2::timestamptz,
         last_error = CASE WHEN last_error LIKE 'outcome unknown%' THEN last_error END
         WHERE id = $1 AND status = 'sending'`,
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

/**
 * Milliseconds until the next row is due (a retry's backoff, a claim's sending timeout), null
 * when none is waiting: the sender loop sleeps until then instead of polling (#23).
 */
export async function nextDueInMs(deps: Pick<SenderDeps, 'pool' | 'now'>): Promise<number | null> {
  const { rows } = await deps.pool.query<{ due: Date | null }>(
    `SELECT min(next_attempt_at) AS due FROM notification_outbox WHERE status IN ('pending', 'sending')`,
  );
  const due = rows[0]?.due;
  return due ? due.getTime() - deps.now() : null;
}

/**
 * Rows left in 'sending' by a dead sender: sent again (same Message-ID), unless they used up
 * their attempts, then 'failed' (see sendDue).
 */
export async function recoverStuck(
  deps: Pick<SenderDeps, 'pool' | 'now' | 'logger' | 'metrics' | 'maxAttempts'>,
): Promise<number> {
  const { rows } = await deps.pool.query<{
    id: string;
    recipient: string;
    message_id: string;
    status: string;
    attempts: number;
  }>(
    `UPDATE notification_outbox
     SET status = CASE WHEN attempts >= $2 THEN 'failed' ELSE 'pending' END,
         next_attempt_at = $1::timestamptz,
         last_error = 'outcome unknown: the sender stopped during the SMTP transaction (attempt ' || attempts || '); '
           || CASE WHEN attempts >= $2 THEN 'no attempts left' ELSE 'sent again with the same Message-ID' END
     WHERE status = 'sending' AND next_attempt_at <= $1::timestamptz
     RETURNING id::text, recipient, message_id, status, attempts`,
    [iso(deps.now()), deps.maxAttempts],
  );
  for (const r of rows) {
    deps.logger.warn(
      { outboxId: r.id, to: r.recipient, messageId: r.message_id, attempt: r.attempts, status: r.status },
      r.status === 'failed'
        ? 'mail outcome unknown after a crash, no attempts left: failed'
        : 'mail outcome unknown after a crash: sending it again with the same Message-ID (at-least-once)',
    );
    deps.metrics.mails.inc({ result: 'unknown' });
  }
  return rows.length;
}
