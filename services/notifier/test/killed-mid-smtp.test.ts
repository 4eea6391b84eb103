import { type Bus, createBus } from '@telemetry/bus';
import {
  createTestStore,
  kafkaBrokers,
  type Proc,
  startProcess,
  type TestStore,
  uniqueName,
  waitFor,
} from '@telemetry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addRecipient, insertAlert, publishAlert, seedWorld } from './fixtures.js';
import { startTestSmtp, type TestSmtp } from './smtp-server.js';

/**
 * #15: a notifier killed inside the SMTP transaction lost the alert mail for good (the row was
 * marked "outcome unknown, assumed sent"). Here a real notifier process sends to a real SMTP
 * server that receives the message and holds its 250 reply; the process is SIGKILLed right then.
 * A new process sends the mail again after NOTIFY_SENDING_TIMEOUT: it arrives twice with one
 * Message-ID (the receiver deduplicates), and the outbox row shows both attempts.
 */
const CHILD = new URL('./child.ts', import.meta.url).pathname;

let db: TestStore;
let bus: Bus;
let smtp: TestSmtp;
const procs: Proc[] = [];
let hold: Promise<void> | undefined;
let release: () => void = () => undefined;

beforeAll(async () => {
  db = await createTestStore('postgres');
  bus = createBus({ kafkaBrokers: kafkaBrokers(), clientId: uniqueName('notifier-kill'), partitions: 1 });
  smtp = await startTestSmtp(undefined, { beforeReply: () => hold ?? Promise.resolve() });
});
afterAll(async () => {
  release();
  for (const p of procs) await p.stop('SIGKILL').catch(() => undefined);
  await bus?.close();
  await smtp?.close();
  await db?.drop();
});

describe('notifier killed mid-SMTP', () => {
  it('sends the alert mail again after the crash, with the same Message-ID', async () => {
    const pool = db.store.pool;
    const world = await seedWorld(pool);
    await addRecipient(pool, world, 'facilities@example.test', { assetId: world.pantryId });
    const alert = await insertAlert(pool, world);
    const topics = { alerts: uniqueName('alerts'), tasks: uniqueName('tasks') };
    await bus.ensureTopics([{ name: topics.alerts }, { name: topics.tasks }]);
    const env = {
      DATABASE_URL: db.url,
      KAFKA_BROKERS: kafkaBrokers().join(','),
      SMTP_URL: smtp.url,
      NOTIFY_POLL_INTERVAL: '100ms',
      NOTIFY_SENDING_TIMEOUT: '2s',
      NOTIFY_TEST_TOPICS: `${topics.alerts},${topics.tasks}`,
      NOTIFY_TEST_GROUP: uniqueName('notify'),
      LOG_LEVEL: 'warn',
    };
    hold = new Promise<void>((r) => {
      release = r;
    });
    const first = startProcess('notifier-1', CHILD, env);
    procs.push(first);
    await first.waitForOutput(/notifier child ready/);
    await publishAlert(bus, topics.alerts, alert);
    // the server has the message; the sender waits for its reply: kill it now
    await waitFor(() => smtp.received.length === 1, { timeoutMs: 30_000, message: 'first attempt received' });
    const killedAt = Date.now();
    await first.stop('SIGKILL');
    hold = undefined;
    release();
    const row = async () =>
      (
        await pool.query<{ status: string; attempts: number; last_error: string | null; message_id: string }>(
          'SELECT status, attempts, last_error, message_id FROM notification_outbox WHERE alert_id = $1',
          [alert.alertId],
        )
      ).rows;
    expect((await row()).map((r) => r.status)).toEqual(['sending']);

    const second = startProcess('notifier-2', CHILD, env);
    procs.push(second);
    await waitFor(async () => (await row())[0]?.status === 'sent' && smtp.received.length === 2, {
      timeoutMs: 60_000,
      message: 'mail sent again by the new process',
    });
    const resentMs = Date.now() - killedAt;
    const [r] = await row();
    expect(r).toMatchObject({ status: 'sent', attempts: 2 });
    expect(r?.last_error).toContain('outcome unknown');
    expect(smtp.received.map((m) => m.messageId)).toEqual([r?.message_id, r?.message_id]);
    expect(smtp.received[1]?.subject).toBe(smtp.received[0]?.subject);
    console.log(
      `[resilience] notifier: killed mid-SMTP; the mail was sent again ${resentMs} ms after the kill, same Message-ID`,
    );
  }, 120_000);
});
