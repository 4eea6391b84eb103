import type { Config } from '@telemetry/config';
import type { Logger } from '@telemetry/observability';
import { createOutboxMailer } from './outbox/index.js';
import type { Mailer } from './port.js';
import { createSmtpMailer } from './smtp/index.js';

export { createOutboxMailer } from './outbox/index.js';
export * from './port.js';
export { classify, createSmtpMailer } from './smtp/index.js';

/** SMTP when cfg.mail.smtpUrl is set, else the outbox folder. */
export function createMailer(mail: Config['mail'], logger: Logger): Mailer {
  return mail.smtpUrl
    ? createSmtpMailer({ url: mail.smtpUrl, logger })
    : createOutboxMailer({ dir: mail.outboxDir, logger });
}
