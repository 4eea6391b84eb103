import type { AlertV1, DevicePresenceV1, TaskV1, TelemetryAcceptedV1 } from '@telemetry/contracts';
import { z } from 'zod';

/**
 * The wire protocol between the gateway and dashboards (Socket.IO 4, path /socket.io).
 *
 * Handshake: `io(url, { auth: { token } })` with the API's access token. Refusals arrive as
 * `connect_error` with `err.message` and `err.data = { code }` (TOKEN_INVALID, UNAUTHENTICATED).
 *
 * Client → server: `subscribe`, `unsubscribe`, `auth:refresh` (each with an ack callback).
 * Server → client: `telemetry`, `alert`, `task`, `presence`, `auth:expiring`, `subscription:revoked`,
 * `server:disconnect` (the reason, sent just before the server closes the socket).
 */

export const Scope = z.enum(['tenant', 'site', 'asset', 'device']);
export type Scope = z.infer<typeof Scope>;

export const SubscribeRequest = z.object({
  scope: Scope,
  id: z.string().min(1).max(128),
  /**
   * Resume cursor: the highest `cursor` of an `alert`/`task` message the client has seen (or
   * the `cursor` of an earlier subscribe ack). The server replays, from the database, the
   * alerts and tasks of this scope that changed since then.
   */
  since: z.number().int().nonnegative().optional(),
});
export type SubscribeRequest = z.infer<typeof SubscribeRequest>;

export const UnsubscribeRequest = SubscribeRequest.pick({ scope: true, id: true });
export type UnsubscribeRequest = z.infer<typeof UnsubscribeRequest>;

export const RefreshRequest = z.object({ token: z.string().min(1).max(8192) });
export type RefreshRequest = z.infer<typeof RefreshRequest>;

export interface AckError {
  ok: false;
  error: { code: string; message: string };
}

export type SubscribeAck =
  | {
      ok: true;
      room: string;
      /** Alerts/tasks replayed before this ack (only when `since` was given). */
      replayed: number;
      /**
       * True when the gap was too long or too busy to replay: reload the lists over the REST API.
       * Never silently stale: either everything missed was replayed, or this says so.
       */
      resync: boolean;
      /** The server's cursor now; a client that saw nothing newer resumes from here. */
      cursor: number;
    }
  | AckError;

export type RefreshAck = { ok: true; exp: number } | AckError;

/** An alert change; `cursor` orders them for resumption (see replay.ts). */
export interface AlertMessage {
  cursor: number;
  /** True when it comes from the database on resume rather than live from the bus. */
  replay: boolean;
  alert: AlertV1;
}

export interface TaskMessage {
  cursor: number;
  replay: boolean;
  task: TaskV1;
}

/** session_revoked: logged out, password changed, deleted, or the session ended elsewhere (#20). */
export type DisconnectReason = 'token_expired' | 'slow_client' | 'session_revoked';

export interface ServerToClientEvents {
  /** A reading; `trace.pushed` is the time it was written to this socket. Coalesced per device. */
  telemetry: (msg: TelemetryAcceptedV1) => void;
  alert: (msg: AlertMessage) => void;
  task: (msg: TaskMessage) => void;
  presence: (msg: DevicePresenceV1) => void;
  /** The access token expires at `exp` (seconds): send `auth:refresh` before then. */
  'auth:expiring': (msg: { exp: number }) => void;
  /** A subscription is no longer allowed (assignment or role changed); its room was left. */
  'subscription:revoked': (msg: { scope: Scope; id: string }) => void;
  'server:disconnect': (msg: { reason: DisconnectReason }) => void;
}

export interface ClientToServerEvents {
  subscribe: (req: SubscribeRequest, ack: (res: SubscribeAck) => void) => void;
  unsubscribe: (req: UnsubscribeRequest, ack: (res: { ok: true } | AckError) => void) => void;
  'auth:refresh': (req: RefreshRequest, ack: (res: RefreshAck) => void) => void;
}

/** Room names; one per scope kind, so ids of different kinds never collide. */
export function roomOf(scope: Scope, id: string): string {
  return `${scope}:${id}`;
}
