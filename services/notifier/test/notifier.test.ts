import { type Bus, createMemoryBus } from '@telemetry/bus';
import { loadConfig } from '@telemetry/config';
import { encodeMessage, TaskV1 } from '@telemetry/contracts';
import { createLogger, createRegistry, silentLogger } from '@telemetry/observability';
import { createTestStore, type TestStore, uniqueName, waitFor } from '@telemetry/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createNotifier, createSmtpMailer, type NotifierDeps } from '../src/index.js';
import { addRecipient, insertAlert, publishAlert, seedWorld } from './fixtures.js';
import { startTestSmtp, type TestSmtp } from './smtp-server.js';

// The notifier over the embedded store, the memory bus (publish resolves once "notify" committed)
// and a real SMTP server per test.
let db: TestStore;
let bus: Bus;
let clock = Date.now();
const now = () => clock;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  db = await createTestStore('embedded');
  bus = createMemoryBus({ partitions: 2 });
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
afterAll(async () => {
  await bus?.close();
  await db?.drop();
});

const pool = () => db.store.pool;

async function setup(refuse?: Parameters<typeof startTestSmtp>[0]) {
  const smtp: TestSmtp = await startTestSmtp(refuse);
  cleanups.push(() => smtp.close());
  const topics = { alerts: uniqueName('alerts'), tasks: uniqueName('tasks') };
  await bus.ensureTopics([{ name: topics.alerts }, { name: topics.tasks }]);
  const groupId = uniqueName('notify');
  const start = async (extra: Partial<NotifierDeps> = {}, env: Record<string, string> = {}) => {
    const mailer = createSmtpMailer({ url: smtp.url, logger: silentLogger() });
    const notifier = createNotifier({
      bus,
      store: db.store,
      logger: process.env.TEST_LOG ? createLogger({ name: 'notifier-test', level: 'debug' }) : silentLogger(),
      registry: createRegistry(),
      config: loadConfig({
        NOTIFY_POLL_INTERVAL: '20ms',
        NOTIFY_REMINDER_INTERVAL: '1h',
        NOTIFY_RETRY_BASE: '1s',
        NOTIFY_SENDING_TIMEOUT: '30s',
        ...env,
      }),
      mailer,
      now,
      topics,
      groupId,
      ...extra,
    });
    await notifier.start();
    let closed = false;
    const close = async () => {
      if (closed) return;
      closed = true;
      await notifier.close();
      await mailer.close();
    };
    cleanups.push(close);
    return { notifier, close };
  };
  return { smtp, topics, start };
}

const outbox = async (alertId: string) =>
  (
    await pool().query<{
      recipient: string;
      status: string;
      attempts: number;
      last_error: string | null;
      sent_at: Date | null;
      next_attempt_at: Date;
      dedupe_key: string;
    }>(
      'SELECT recipient, status, attempts, last_error, sent_at, next_attempt_at, dedupe_key FROM notification_outbox WHERE alert_id = $1 ORDER BY id',
      [alertId],
    )
  ).rows;

describe('notifier (embedded store, memory bus, real SMTP)', () => {
  it('mails the low-level alert, with floor, pantry and dispenser type, and again with the same Message-ID when killed between send and commit', async () => {
    const { smtp, topics, start } = await setup();
    const world = await seedWorld(pool());
    await addRecipient(pool(), world, 'Facilities@Example.test', { assetId: world.floorId });
    const alert = await insertAlert(pool(), world);

    let crashes = 1;
    const first = await start({
      faults: {
        afterSend: () => {
          if (crashes-- > 0) throw new Error('killed after SMTP accepted the mail, before it was marked sent');
        },
      },
    });
    await publishAlert(bus, topics.alerts, alert);
    await waitFor(() => smtp.received.length === 1);
    expect((await outbox(alert.alertId)).map((r) => r.status)).toEqual(['sending']);
    await first.close(); // the process is gone

    await start();
    await publishAlert(bus, topics.alerts, alert); // the alerts.v1 message is redelivered too
    clock += 31_000; // past the sending timeout: the new sender sends the stuck row again (at-least-once)
    const [row] = await waitFor(async () => {
      const rows = await outbox(alert.alertId);
      return rows[0]?.status === 'sent' ? rows : undefined;
    });
    expect(row).toMatchObject({ recipient: 'facilities@example.test', attempts: 2 });
    expect(row?.last_error).toContain('outcome unknown');

    expect(smtp.received).toHaveLength(2);
    expect(smtp.received[1]?.messageId).toBe(smtp.received[0]?.messageId);
    const mail = smtp.received[0];
    expect(mail?.subject).toContain('Low level: level 12 < 15');
    expect(mail?.text).toContain('Floor: Floor 3');
    expect(mail?.text).toContain('Pantry: Pantry East');
    expect(mail?.text).toContain('Dispenser: Coffee 1');
    expect(mail?.text).toContain('Type: coffee');
    expect(mail?.messageId).toMatch(/^<n\.[0-9a-f]{40}@telemetry\.local>$/);
  });

  it('retries with exponential backoff while SMTP refuses temporarily, then sends once', async () => {
    let refusals = 2;
    const { smtp, topics, start } = await setup(() => (refusals-- > 0 ? 451 : undefined));
    const world = await seedWorld(pool());
    await addRecipient(pool(), world, 'ops@example.test', { ruleId: world.ruleId });
    const alert = await insertAlert(pool(), world);
    await start();
    await publishAlert(bus, topics.alerts, alert);

    const retryAt = async (attempts: number) =>
      waitFor(async () => {
        const [r] = await outbox(alert.alertId);
        return r?.status === 'pending' && r.attempts === attempts ? r : undefined;
      });
    const firstRetry = await retryAt(1);
    expect(firstRetry.next_attempt_at.getTime()).toBe(clock + 1000);
    expect(firstRetry.last_error).toContain('451');
    clock += 1000;
    const secondRetry = await retryAt(2);
    expect(secondRetry.next_attempt_at.getTime()).toBe(clock + 2000);
    clock += 2000;
    await waitFor(async () => (await outbox(alert.alertId))[0]?.status === 'sent');
    expect(smtp.refused).toEqual([
      ['ops@example.test', 451],
      ['ops@example.test', 451],
    ]);
    expect(smtp.received).toHaveLength(1);
    expect((await outbox(alert.alertId))[0]).toMatchObject({ attempts: 3, last_error: null });
  });

  it('marks a mail refused for good (5xx) failed without retrying', async () => {
    const { smtp, topics, start } = await setup(() => 550);
    const world = await seedWorld(pool());
    await addRecipient(pool(), world, 'nobody@example.test', { assetId: world.dispenserId });
    const alert = await insertAlert(pool(), world);
    await start();
    await publishAlert(bus, topics.alerts, alert);
    const [row] = await waitFor(async () => {
      const rows = await outbox(alert.alertId);
      return rows[0]?.status === 'failed' ? rows : undefined;
    });
    expect(row).toMatchObject({ attempts: 1 });
    expect(smtp.received).toEqual([]);
  });

  it('mails every new episode, also within the cooldown; the cooldown holds back repeats of one episode (issue 19)', async () => {
    const { smtp, topics, start } = await setup();
    const world = await seedWorld(pool(), { reminderS: 60 });
    await addRecipient(pool(), world, 'ops@example.test', { assetId: world.pantryId, cooldownS: 600 });
    const { notifier } = await start();
    const a = await insertAlert(pool(), world, 'resolved');
    await publishAlert(bus, topics.alerts, a, 'opened');
    await publishAlert(bus, topics.alerts, a, 'acknowledged');
    await publishAlert(bus, topics.alerts, a, 'resolved');
    // the next episode of the same rule and device, seconds later: its own mails
    const b = await insertAlert(pool(), world, 'open', clock);
    await publishAlert(bus, topics.alerts, b, 'opened');
    await waitFor(() => smtp.received.length === 3);
    const keys = async (id: string) => (await outbox(id)).map((r) => [r.dedupe_key.split(':')[1], r.status]);
    expect(await keys(a.alertId)).toEqual([
      ['opened', 'sent'],
      ['resolved', 'sent'],
    ]);
    expect(await keys(b.alertId)).toEqual([['opened', 'sent']]);
    // a reminder of b 61 s after its mail is within the recipient's 600 s cooldown: held back
    clock += 61_000;
    expect(await notifier.remindNow()).toEqual({ queued: 0, suppressed: 1 });
    clock += 600_000;
    expect(await notifier.remindNow()).toEqual({ queued: 1, suppressed: 0 });
    await waitFor(() => smtp.received.length === 4);
    expect(smtp.received.map((m) => m.subject?.split(':')[0])).toEqual([
      '[WARNING] Alert',
      '[WARNING] Resolved',
      '[WARNING] Alert',
      '[WARNING] Reminder 11',
    ]);
    // (the next tests remind on the same database)
    await pool().query(`UPDATE alerts SET state = 'resolved' WHERE id = $1`, [b.alertId]);
  });

  it('reminds while an alert stays unacknowledged, once per reminder interval', async () => {
    const { smtp, start } = await setup();
    const world = await seedWorld(pool(), { reminderS: 60 });
    await addRecipient(pool(), world, 'ops@example.test', { ruleId: world.ruleId });
    const alert = await insertAlert(pool(), world, 'open', clock); // raised "now" on the test's clock
    const { notifier } = await start();
    expect(await notifier.remindNow()).toEqual({ queued: 0, suppressed: 0 });
    clock += 61_000;
    expect(await notifier.remindNow()).toEqual({ queued: 1, suppressed: 0 });
    expect(await notifier.remindNow()).toEqual({ queued: 0, suppressed: 0 });
    await waitFor(() => smtp.received.length === 1);
    expect(smtp.received[0]?.subject).toContain('Reminder 1: still open');
    await pool().query(`UPDATE alerts SET state = 'acknowledged', acknowledged_at = now() WHERE id = $1`, [
      alert.alertId,
    ]);
    clock += 120_000;
    expect(await notifier.remindNow()).toEqual({ queued: 0, suppressed: 0 });
  });

  it('mails a new maintenance task to its assignees', async () => {
    const { smtp, topics, start } = await setup();
    const world = await seedWorld(pool());
    const { rows } = await pool().query<{ id: string }>(
      `INSERT INTO tasks (tenant_id, rule_id, asset_id, device_id, title, due_at) VALUES ($1, $2, $3, $4, 'Ozone service on Coffee 1', now() + interval '7 days') RETURNING id`,
      [world.tenantId, world.ruleId, world.dispenserId, world.deviceId],
    );
    await start();
    const task = {
      v: 1 as const,
      change: 'created' as const,
      taskId: rows[0]?.id as string,
      tenantId: world.tenantId,
      ruleId: world.ruleId,
      assetId: world.dispenserId,
      deviceId: world.deviceId,
      title: 'Ozone service on Coffee 1',
      status: 'not_started' as const,
      dueAt: new Date(clock + 7 * 86_400_000).toISOString(),
      assignees: [world.managerId, world.operatorId],
      changedAt: new Date(clock).toISOString(),
      changedBy: null,
    };
    await bus.publish(topics.tasks, [{ key: world.deviceId, value: encodeMessage(TaskV1, task) }]);
    await bus.publish(topics.tasks, [{ key: world.deviceId, value: encodeMessage(TaskV1, task) }]);
    await waitFor(() => smtp.received.length === 2);
    const to = smtp.received.map((m) => (m.to && 'text' in m.to ? m.to.text : '')).sort();
    expect(to).toEqual([`manager-${world.suffix}@example.test`, `operator-${world.suffix}@example.test`]);
    expect(smtp.received[0]?.text).toContain('Pantry: Pantry East');
    const sent = await pool().query(`SELECT status FROM notification_outbox WHERE task_id = $1`, [task.taskId]);
    expect(sent.rows.map((r) => r.status)).toEqual(['sent', 'sent']);
  });
});
