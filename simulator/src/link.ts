import { AppError } from '@telemetry/contracts';
import type { Channel } from './profiles/index.js';

/**
 * A device's connection to the platform. `send` resolves when the peer took responsibility for
 * the message (MQTT PUBACK, HTTP 2xx) and rejects with an AppError:
 *   TOKEN_INVALID / DEVICE_NOT_ASSIGNED / DEVICE_REVOKED  credentials refused: re-handshake later
 *   UNAVAILABLE (retriable)                               network or server trouble: send again later
 *   anything else                                         the peer rejected this message: do not resend
 */
export interface Link {
  readonly transport: 'mqtt' | 'http';
  send(channel: Channel, payload: string): Promise<void>;
  /** force: drop the connection as a network loss would (no DISCONNECT, no waiting). */
  close(force: boolean): Promise<void>;
  /** Answers a command on devices/{id}/commands/reply (MQTT links). */
  reply?(payload: string): Promise<void>;
  /** Reports a firmware rollout's progress: devices/{id}/firmware, or POST /api/device/firmware/progress. */
  report?(payload: string): Promise<void>;
  /** Reports the configuration applied on devices/{id}/reported (MQTT links). */
  reportConfig?(payload: string): Promise<void>;
}

export type LinkEvents = {
  /** A command on devices/{id}/commands. */
  onCommand?(payload: string): void;
  /** A desired configuration on devices/{id}/desired: `{"version","desired"}`. */
  onDesired?(payload: string): void;
  /** The broker refused the credentials on a reconnect (token revoked or rotated). */
  onAuthRefused?(err: Error): void;
  onConnectionChange?(connected: boolean): void;
};

const AUTH_CODES = new Set(['TOKEN_INVALID', 'DEVICE_NOT_ASSIGNED', 'DEVICE_REVOKED']);

export function isAuthError(err: unknown): boolean {
  return err instanceof AppError && AUTH_CODES.has(err.code);
}

export function isRetriable(err: unknown): boolean {
  return !(err instanceof AppError) || err.retriable;
}
