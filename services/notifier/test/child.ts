/**
 * A notifier process for tests that kill it: main.ts's composition with the test's own topic
 * and group names (NOTIFY_TEST_TOPICS = "alerts,tasks", NOTIFY_TEST_GROUP), so it never consumes
 * the shared broker's real topics. Prints "notifier child ready" once it consumes.
 */
import { createBus } from '@telemetry/bus';
import { loadConfig } from '@telemetry/config';
import { createLogger, createRegistry } from '@telemetry/observability';
import { createStore } from '@telemetry/store';
import { createMailer, createNotifier } from '../src/index.js';

const cfg = loadConfig(process.env);
const logger = createLogger({ name: 'notifier-child', level: cfg.logLevel });
const [alerts, tasks] = (process.env.NOTIFY_TEST_TOPICS ?? '').split(',');
if (!alerts || !tasks) throw new Error('NOTIFY_TEST_TOPICS=alerts,tasks is required');
const store = await createStore(cfg.store, { applicationName: 'notifier-child' });
const bus = createBus(cfg.bus, { logger });
const mailer = createMailer(cfg.mail, logger);
const notifier = createNotifier({
  bus,
  store,
  logger,
  registry: createRegistry(),
  config: cfg,
  mailer,
  topics: { alerts, tasks },
  groupId: process.env.NOTIFY_TEST_GROUP ?? 'notify-test',
});
await notifier.start();
console.log('notifier child ready');
