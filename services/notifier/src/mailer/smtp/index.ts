import type { Logger } from '@telemetry/observability';
import nodemailer from 'nodemailer';
import { type Mail, type Mailer, permanentMailError, type SendResult, temporaryMailError } from '../port.js';

export interface SmtpMailerOptions {
  /** smtp://user:pass@host:port or smtps://… (cfg.mail.smtpUrl). */
  url: string;
  logger: Logger;
  /** Parallel SMTP connections of the pool. */
  maxConnections?: number;
}

/**
 * SMTP through nodemailer (pooled). Timeouts stay well under cfg.notifier.sendingTimeoutMs, so a
 * live sender never holds a row in 'sending' long enough to be taken for a crashed one.
 */
export function createSmtpMailer(options: SmtpMailerOptions): Mailer {
  const transport = nodemailer.createTransport({
    url: options.url,
    pool: true,
    maxConnections: options.maxConnections ?? 2,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
    // a failed connection fails its message back to us (our backoff, our bookkeeping) instead of
    // being requeued inside the pool
    maxRequeues: 0,
  });
  return {
    kind: 'smtp',
    async send(mail: Mail): Promise<SendResult> {
      try {
        const info = await transport.sendMail({
          from: mail.from,
          to: mail.to,
          subject: mail.subject,
          text: mail.text,
          messageId: mail.messageId,
        });
        if (info.rejected.length > 0) throw permanentMailError(`recipient rejected: ${info.rejected.join(', ')}`);
        return { messageId: mail.messageId, response: info.response };
      } catch (err) {
        throw classify(err);
      }
    },
    async close() {
      transport.close();
    },
  };
}

/** SMTP 5xx is permanent; 4xx and anything without a reply code (connection, DNS, timeout) is not. */
export function classify(err: unknown): Error {
  if (err instanceof Error && err.name === 'AppError') return err;
  const e = err as { responseCode?: number; code?: string; message?: string };
  const text = `${e.code ?? 'SMTP'}: ${e.message ?? String(err)}`;
  if (typeof e.responseCode === 'number' && e.responseCode >= 500) return permanentMailError(text, err, e.responseCode);
  return temporaryMailError(text, err, e.responseCode);
}
