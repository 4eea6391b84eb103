import { type BatchHandler, type Bus, DOWNSTREAM_MAX_LAG, type Subscription } from '@telemetry/bus';
import type { Config } from '@telemetry/config';
import { AlertV1, decodeMessage, TaskV1, Topics } from '@telemetry/contracts';
import type { Logger, Registry } from '@telemetry/observability';
import { startLoop } from '@telemetry/runtime';
import type { Store } from '@telemetry/store';
import { type EnqueueDeps, enqueueAlert, enqueueTask } from './enqueue.js';
import { createMailer, type Mailer } from './mailer/index.js';
import { createNotifierMetrics } from './metrics.js';
import { remindOpenAlerts } from './reminders.js';
import { type ClaimedRow, nextDueInMs, recoverStuck, type SenderDeps, sendDue } from './sender.js';

export interface NotifierTopics {
  alerts: string;
  tasks: string;
}

export interface NotifierDeps {
  bus: Bus;
  store: Store;
  logger: Logger;
  registry: Registry;
  config: Pick<Config, 'mail' | 'notifier'>;
  /** Default: createMailer(config.mail) (SMTP when SMTP_URL is set, else the outbox folder). */
  mailer?: Mailer;
  now?: () => number;
  topics?: Partial<NotifierTopics>;
  /** Consumer group (default "notify"). */
  groupId?: string;
  /** Fault injection (tests): called after a mail was accepted, before it is marked sent; throw to "crash". */
  faults?: { afterSend?: (row: ClaimedRow) => void | Promise<void> };
}

export interface NotifierService {
  start(): Promise<void>;
  /** One sender pass now (recover stuck rows, then send what is due). */
  sendNow(): Promise<{ sent: number; retried: number; failed: number; recovered: number }>;
  /** One reminder scan now. */
  remindNow(): Promise<{ queued: number; suppressed: number }>;
  close(): Promise<void>;
}

/** The shortest wait between two sender passes that found nothing to send. */
const MIN_WAIT_MS = 100;

/**
 * The notifier: consumer group "notify" on alerts.v1 and tasks.v1 writes notification_outbox
 * rows (one per change and recipient, deduplicated by key); a sender loop mails due rows through
 * the Mailer port with retries and backoff; a reminder loop re-notifies alerts left open.
 */
export function createNotifier(deps: NotifierDeps): NotifierService {
  const now = deps.now ?? Date.now;
  const topics: NotifierTopics = { alerts: Topics.alerts, tasks: Topics.tasks, ...deps.topics };
  const logger = deps.logger.child({ component: 'notifier' });
  const cfg = deps.config.notifier;
  const ownsMailer = deps.mailer === undefined;
  const mailer = deps.mailer ?? createMailer(deps.config.mail, logger);
  const metrics = createNotifierMetrics(deps.registry);
  const enqueueDeps: EnqueueDeps = { pool: deps.store.pool, now, messageIdDomain: domainOf(deps.config.mail.from) };
  const senderDeps: SenderDeps = {
    pool: deps.store.pool,
    mailer,
    from: deps.config.mail.from,
    now,
    logger,
    metrics,
    maxAttempts: cfg.maxAttempts,
    retryBaseMs: cfg.retryBaseMs,
    retryMaxMs: cfg.retryMaxMs,
    sendingTimeoutMs: cfg.sendingTimeoutMs,
    afterSend: deps.faults?.afterSend,
  };

  let subscription: Subscription | undefined;
  let sender: ReturnType<typeof startLoop> | undefined;
  let reminder: ReturnType<typeof startLoop> | undefined;

  const sendNow = async () => {
    const recovered = await recoverStuck(senderDeps);
    const r = await sendDue(senderDeps);
    return { ...r, recovered };
  };

  const handler: BatchHandler = async (batch) => {
    let queued = 0;
    const isAlert = batch.topic === topics.alerts;
    const topic = isAlert ? 'alerts' : 'tasks';
    for (const message of batch.messages) {
      let r: { queued: number; suppressed: number };
      try {
        r = isAlert
          ? await enqueueAlert(enqueueDeps, decodeMessage(AlertV1, message.value))
          : await enqueueTask(enqueueDeps, decodeMessage(TaskV1, message.value));
      } catch (err) {
        if ((err as Error).name === 'ZodError' || err instanceof SyntaxError) {
          logger.warn({ err, topic: batch.topic, offset: message.offset }, 'notifier: skipping a malformed message');
          metrics.messages.inc({ topic, result: 'malformed' });
          continue;
        }
        logger.error(
          { err, topic: batch.topic, offset: message.offset },
          'notifier: enqueue failed, the batch will be redelivered',
        );
        throw err; // database trouble: redelivered; the dedupe key makes the retry safe
      }
      metrics.messages.inc({ topic, result: 'ok' });
      if (r.queued) metrics.enqueued.inc({ status: 'pending' }, r.queued);
      if (r.suppressed) metrics.enqueued.inc({ status: 'suppressed' }, r.suppressed);
      queued += r.queued;
    }
    if (queued > 0) sender?.kick();
  };

  return {
    async start() {
      await deps.bus.ensureTopics([{ name: topics.alerts }, { name: topics.tasks }]);
      // Woken by work: a new row kicks it (handler, reminders), and each pass says when the next
      // retry or claim timeout is due; NOTIFY_POLL_INTERVAL is only the safety net (rows another
      // instance left), so an idle notifier does not query the database every second (#23).
      sender = startLoop(
        'sender',
        cfg.pollIntervalMs,
        async () => {
          const r = await sendNow();
          if (r.sent + r.retried + r.failed >= 20) return true; // a full batch: more may be due
          const due = await nextDueInMs(senderDeps);
          // not sooner than MIN_WAIT_MS: a row another sender holds locked stays "due" until it commits
          return due === null ? undefined : { nextInMs: Math.max(MIN_WAIT_MS, due) };
        },
        logger,
      );
      reminder = startLoop(
        'reminders',
        cfg.reminderIntervalMs,
        async () => {
          const r = await remindOpenAlerts(enqueueDeps);
          if (r.queued > 0) sender?.kick();
        },
        logger,
      );
      subscription = await deps.bus.subscribe({
        groupId: deps.groupId ?? 'notify',
        topics: [topics.alerts, topics.tasks],
        handler,
        // the rules' commit (and so a device's PUBACK) does not wait for the mail (#23)
        maxLag: DOWNSTREAM_MAX_LAG,
      });
      await subscription.ready;
      logger.info({ topics, mailer: mailer.kind }, 'notifier started');
    },
    sendNow,
    remindNow: () => remindOpenAlerts(enqueueDeps),
    async close() {
      await subscription?.close();
      subscription = undefined;
      await Promise.all([sender?.stop(), reminder?.stop()]);
      sender = reminder = undefined;
      if (ownsMailer) await mailer.close();
    },
  };
}

/** "Telemetry <alerts@telemetry.local>" -> "telemetry.local" */
export function domainOf(from: string): string {
  return /@([A-Za-z0-9.-]+)/.exec(from)?.[1] ?? 'telemetry.local';
}
