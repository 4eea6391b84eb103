import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@telemetry/observability';
import nodemailer from 'nodemailer';
import { type Mail, type Mailer, type SendResult, temporaryMailError } from '../port.js';

export interface OutboxMailerOptions {
  /** cfg.mail.outboxDir; created when missing. */
  dir: string;
  logger: Logger;
}

/**
 * The embedded mail backend: every mail becomes `<dir>/<message-id>.eml` (RFC 5322, open it in
 * any mail client) plus a log line. Written to a temporary name and renamed, so a reader never
 * sees half a file; the name comes from the Message-ID, so writing the same mail again replaces
 * it instead of adding a second one.
 */
export function createOutboxMailer(options: OutboxMailerOptions): Mailer {
  const composer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  let ready: Promise<unknown> | undefined;
  return {
    kind: 'outbox',
    async send(mail: Mail): Promise<SendResult> {
      const file = join(options.dir, `${fileName(mail.messageId)}.eml`);
      try {
        // mails name people and carry alert contents: owner-only, like the secrets (#20)
        ready ??= mkdir(options.dir, { recursive: true, mode: 0o700 });
        await ready;
        const info = await composer.sendMail({
          from: mail.from,
          to: mail.to,
          subject: mail.subject,
          text: mail.text,
          messageId: mail.messageId,
        });
        const tmp = `${file}.${process.pid}.tmp`;
        await writeFile(tmp, info.message as Buffer, { mode: 0o600 });
        await rename(tmp, file);
      } catch (err) {
        ready = undefined;
        throw temporaryMailError(`outbox: cannot write ${file}: ${(err as Error).message}`, err);
      }
      options.logger.info(
        { to: mail.to, subject: mail.subject, file, messageId: mail.messageId },
        'mail written to the outbox folder',
      );
      return { messageId: mail.messageId, response: `written ${file}` };
    },
    async close() {
      composer.close();
    },
  };
}

function fileName(messageId: string): string {
  return messageId.replace(/^<|>$/g, '').replace(/[^A-Za-z0-9._@-]/g, '_');
}
