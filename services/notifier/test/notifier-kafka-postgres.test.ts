import { type Bus, createBus } from '@telemetry/bus';
import { loadConfig } from '@telemetry/config';
import { createRegistry, silentLogger } from '@telemetry/observability';
import { createTestStore, kafkaBrokers, type TestStore, uniqueName, waitFor } from '@telemetry/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createNotifier, createSmtpMailer, type NotifierService } from '../src/index.js';
import { addRecipient, insertAlert, publishAlert, seedWorld } from './fixtures.js';
import { startTestSmtp, type TestSmtp } from './smtp-server.js';

// Consumer group "notify" over real Kafka and PostgreSQL: a duplicated alerts.v1 message still
// yields one mail per recipient, and the resolve notice follows.
let db: TestStore;
let bus: Bus;
let smtp: TestSmtp;
let notifier: NotifierService | undefined;
const mailer = () => createSmtpMailer({ url: smtp.url, logger: silentLogger() });

beforeAll(async () => {
  db = await createTestStore('postgres');
  bus = createBus({ kafkaBrokers: kafkaBrokers(), clientId: uniqueName('notifier-test'), partitions: 2 });
  smtp = await startTestSmtp();
});
afterAll(async () => {
  await notifier?.close();
  await bus?.close();
  await smtp?.close();
  await db?.drop();
});

it('mails each alert change once per recipient over Kafka', async () => {
  const pool = db.store.pool;
  const world = await seedWorld(pool);
  await addRecipient(pool, world, 'facilities@example.test', { assetId: world.pantryId });
  await addRecipient(pool, world, 'lead@example.test', { ruleId: world.ruleId });
  const alert = await insertAlert(pool, world);
  const topics = { alerts: uniqueName('alerts'), tasks: uniqueName('tasks') };
  await bus.ensureTopics([{ name: topics.alerts }, { name: topics.tasks }]);
  const m = mailer();
  const service = createNotifier({
    bus,
    store: db.store,
    logger: silentLogger(),
    registry: createRegistry(),
    config: loadConfig({ NOTIFY_POLL_INTERVAL: '50ms' }),
    mailer: m,
    topics,
    groupId: uniqueName('notify'),
  });
  notifier = {
    ...service,
    close: async () => {
      await service.close();
      await m.close();
    },
  };
  await service.start();

  await publishAlert(bus, topics.alerts, alert);
  await publishAlert(bus, topics.alerts, alert);
  await publishAlert(bus, topics.alerts, alert, 'resolved');
  await waitFor(
    async () => {
      const { rows } = await pool.query(`SELECT 1 FROM notification_outbox WHERE alert_id = $1 AND status = 'sent'`, [
        alert.alertId,
      ]);
      return rows.length === 4;
    },
    { timeoutMs: 30_000 },
  );
  const got = smtp.received
    .map((mail) => `${mail.to && 'text' in mail.to ? mail.to.text : ''} ${mail.subject?.split(':')[0]}`)
    .sort();
  expect(got).toEqual([
    'facilities@example.test [WARNING] Alert',
    'facilities@example.test [WARNING] Resolved',
    'lead@example.test [WARNING] Alert',
    'lead@example.test [WARNING] Resolved',
  ]);
  expect(smtp.received[0]?.text).toContain('Pantry: Pantry East');
});
