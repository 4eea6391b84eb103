import { AppError } from '@telemetry/contracts';

/** One email, with the Message-ID chosen by the caller BEFORE sending (stored with the outbox row). */
export interface Mail {
  /** RFC 5322 Message-ID including the angle brackets: `<id@domain>`. */
  messageId: string;
  from: string;
  to: string;
  subject: string;
  text: string;
}

export interface SendResult {
  messageId: string;
  /** The server's reply (SMTP) or where the mail went (outbox). */
  response: string;
}

/**
 * The mail port (magistrala consumers/notifiers/smtp): two backends, `smtp/` (nodemailer, any
 * server) and `outbox/` (the embedded default: .eml files plus a log line). `send` resolves when
 * the mail was accepted; it rejects with an AppError whose `retriable` says whether trying again
 * later can help (SMTP 4xx, connection trouble) or not (5xx: the mail is refused for good).
 */
export interface Mailer {
  readonly kind: 'smtp' | 'outbox';
  send(mail: Mail): Promise<SendResult>;
  close(): Promise<void>;
}

/** A refusal for good (SMTP 5xx): no retry. */
export function permanentMailError(message: string, cause?: unknown, responseCode?: number): AppError {
  return new AppError('UNAVAILABLE', message, { retriable: false, cause, details: { responseCode, permanent: true } });
}

/** A temporary failure (SMTP 4xx, connection refused/reset, timeout): retry with backoff. */
export function temporaryMailError(message: string, cause?: unknown, responseCode?: number): AppError {
  return new AppError('UNAVAILABLE', message, { retriable: true, cause, details: { responseCode } });
}
