/**
 * The realtime gateway's wire protocol, as the browser sees it (mirrors
 * services/realtime/src/protocol.ts and the message schemas of @telemetry/contracts; copied as
 * plain types so the bundle carries no zod).
 */
export type Scope = 'tenant' | 'site' | 'asset' | 'device';

export interface TelemetryMessage {
  tenantId: string;
  deviceId: string;
  eventId: string;
  kind: 'telemetry' | 'event' | 'status';
  ts: string;
  receivedAt: string;
  metrics: Record<string, number>;
  attributes: Record<string, unknown>;
  assetId: string | null;
  trace?: Record<string, number | undefined>;
}

export interface AlertChange {
  change: 'opened' | 'acknowledged' | 'resolved' | 'reminder';
  alertId: string;
  tenantId: string;
  ruleId: string | null;
  deviceId: string | null;
  assetId: string | null;
  kind: 'threshold' | 'offline' | 'maintenance' | 'manual' | 'invalid_data';
  severity: 'info' | 'warning' | 'critical';
  state: 'open' | 'acknowledged' | 'resolved';
  metric: string | null;
  value: number | null;
  threshold: number | null;
  message: string;
  openedAt: string;
  changedAt: string;
  changedBy: string | null;
}

export interface TaskChange {
  change: 'created' | 'status_changed' | 'assigned';
  taskId: string;
  tenantId: string;
  deviceId: string | null;
  assetId: string | null;
  title: string;
  status: 'not_started' | 'in_progress' | 'finished';
  dueAt: string | null;
  assignees: string[];
  changedAt: string;
  changedBy: string | null;
}

export interface PresenceMessage {
  tenantId: string;
  deviceId: string;
  status: 'online' | 'offline';
  at: string;
}

export interface AlertMessage {
  cursor: number;
  replay: boolean;
  alert: AlertChange;
}

export interface TaskMessage {
  cursor: number;
  replay: boolean;
  task: TaskChange;
}

export type SubscribeAck =
  | { ok: true; room: string; replayed: number; resync: boolean; cursor: number }
  | { ok: false; error: { code: string; message: string } };

export type RefreshAck = { ok: true; exp: number } | { ok: false; error: { code: string; message: string } };

export interface ServerToClientEvents {
  telemetry: (msg: TelemetryMessage) => void;
  alert: (msg: AlertMessage) => void;
  task: (msg: TaskMessage) => void;
  presence: (msg: PresenceMessage) => void;
  'auth:expiring': (msg: { exp: number }) => void;
  'subscription:revoked': (msg: { scope: Scope; id: string }) => void;
  'server:disconnect': (msg: { reason: string }) => void;
}

export interface ClientToServerEvents {
  subscribe: (req: { scope: Scope; id: string; since?: number }, ack: (res: SubscribeAck) => void) => void;
  unsubscribe: (req: { scope: Scope; id: string }, ack: (res: { ok: boolean }) => void) => void;
  'auth:refresh': (req: { token: string }, ack: (res: RefreshAck) => void) => void;
}
