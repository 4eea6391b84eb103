import { z } from 'zod';

/** Stage times in ms since epoch, so latency device -> dashboard can be measured per stage. */
export const Trace = z.object({
  device: z.number().optional(),
  gateway: z.number().optional(),
  bus: z.number().optional(),
  stored: z.number().optional(),
  pushed: z.number().optional(),
});
export type Trace = z.infer<typeof Trace>;

export const EventKind = z.enum(['telemetry', 'event', 'status']);
export type EventKind = z.infer<typeof EventKind>;

/** Numeric readings; they feed the rollups. Booleans are stored as 0/1. */
export const Metrics = z.record(z.string().min(1).max(64), z.number().finite());
export type Metrics = z.infer<typeof Metrics>;

/** Non-numeric facts of an event (treatment type, firmware, mode...). Stored, not rolled up. */
export const Attributes = z.record(z.string(), z.unknown());

/** telemetry.raw.v1: what an edge (MQTT gateway or device HTTP endpoint) accepted from a device. */
export const TelemetryRawV1 = z.object({
  v: z.literal(1),
  tenantId: z.string().min(1),
  deviceId: z.string().min(1).max(128),
  eventId: z.string().min(1).max(128),
  kind: EventKind,
  /** Device time (ISO 8601, UTC). The edge substitutes receive time when the device sent none. */
  ts: z.string().datetime({ offset: true }),
  receivedAt: z.string().datetime({ offset: true }),
  source: z.enum(['mqtt', 'http']),
  metrics: Metrics,
  attributes: Attributes.default({}),
  trace: Trace.default({}),
});
export type TelemetryRawV1 = z.infer<typeof TelemetryRawV1>;

/** telemetry.accepted.v1: a first-seen event, stored once. */
export const TelemetryAcceptedV1 = TelemetryRawV1.extend({
  assetId: z.string().nullable().default(null),
  /** True when the event arrived after newer data of the same device (it updated past buckets). */
  late: z.boolean().default(false),
});
export type TelemetryAcceptedV1 = z.infer<typeof TelemetryAcceptedV1>;

export const DeadReason = z.enum([
  'not_json',
  'schema_invalid',
  'too_large',
  'no_event_id',
  'too_late',
  'unknown_device',
  'topic_invalid',
  /** MQTT publish outside the device's own topics: acknowledged (as mosquitto does in 3.1.1), not stored. */
  'acl_denied',
  /** An event id already stored with another payload (another ts or values): kept apart in telemetry_conflicts. */
  'id_conflict',
]);
export type DeadReason = z.infer<typeof DeadReason>;

/** telemetry.dead.v1: input that could not be accepted, kept with its reason and original bytes. */
export const TelemetryDeadV1 = z.object({
  v: z.literal(1),
  reason: DeadReason,
  detail: z.string(),
  tenantId: z.string().nullable(),
  deviceId: z.string().nullable(),
  eventId: z.string().nullable().default(null),
  source: z.enum(['mqtt', 'http', 'pipeline']),
  /** MQTT topic or HTTP route the input came on. */
  channel: z.string(),
  /** The original bytes, base64. */
  original: z.string(),
  receivedAt: z.string().datetime({ offset: true }),
});
export type TelemetryDeadV1 = z.infer<typeof TelemetryDeadV1>;

export const Severity = z.enum(['info', 'warning', 'critical']);
export type Severity = z.infer<typeof Severity>;

export const AlertState = z.enum(['open', 'acknowledged', 'resolved']);
export type AlertState = z.infer<typeof AlertState>;

/** alerts.v1: every change of an alert's lifecycle (opened, acknowledged, resolved, reminded). */
export const AlertV1 = z.object({
  v: z.literal(1),
  change: z.enum(['opened', 'acknowledged', 'resolved', 'reminder']),
  alertId: z.string(),
  tenantId: z.string(),
  ruleId: z.string().nullable(),
  deviceId: z.string().nullable(),
  assetId: z.string().nullable(),
  kind: z.enum(['threshold', 'offline', 'maintenance', 'manual', 'invalid_data']),
  severity: Severity,
  state: AlertState,
  metric: z.string().nullable(),
  value: z.number().nullable(),
  threshold: z.number().nullable(),
  message: z.string(),
  openedAt: z.string().datetime({ offset: true }),
  changedAt: z.string().datetime({ offset: true }),
  changedBy: z.string().nullable(),
  /** Raised from late data: stored, but notifications say so. */
  historical: z.boolean().default(false),
});
export type AlertV1 = z.infer<typeof AlertV1>;

export const TaskStatus = z.enum(['not_started', 'in_progress', 'finished']);
export type TaskStatus = z.infer<typeof TaskStatus>;

/** tasks.v1: a maintenance task created or moved along its workflow. */
export const TaskV1 = z.object({
  v: z.literal(1),
  change: z.enum(['created', 'status_changed', 'assigned']),
  taskId: z.string(),
  tenantId: z.string(),
  ruleId: z.string().nullable(),
  assetId: z.string().nullable(),
  deviceId: z.string().nullable(),
  title: z.string(),
  status: TaskStatus,
  dueAt: z.string().datetime({ offset: true }).nullable(),
  assignees: z.array(z.string()),
  changedAt: z.string().datetime({ offset: true }),
  changedBy: z.string().nullable(),
});
export type TaskV1 = z.infer<typeof TaskV1>;

/** device.presence.v1: connection state changes seen by an MQTT gateway. */
export const DevicePresenceV1 = z.object({
  v: z.literal(1),
  tenantId: z.string(),
  deviceId: z.string(),
  status: z.enum(['online', 'offline']),
  reason: z.enum(['connect', 'disconnect', 'will', 'keepalive_timeout', 'error', 'takeover']),
  gatewayId: z.string(),
  at: z.string().datetime({ offset: true }),
});
export type DevicePresenceV1 = z.infer<typeof DevicePresenceV1>;

/**
 * auth.sessions.v1: something about a user's access changed (logout, password change or reset,
 * deletion, role change, assignment removed, refresh-token reuse). Written by the API through its
 * outbox in the same transaction as the change; the realtime gateways re-check that user's open
 * sockets against the database at once (the database is the judge, the message only says "now").
 * `sessionId`: the refresh family that ended, when only one did (logout).
 */
export const SessionRevokedV1 = z.object({
  v: z.literal(1),
  userId: z.string().uuid(),
  tenantId: z.string().nullable(),
  reason: z.enum([
    'logout',
    'password_changed',
    'password_reset',
    'user_deleted',
    'role_changed',
    'unassigned',
    'token_reuse',
  ]),
  sessionId: z.string().uuid().nullable().optional(),
  at: z.string().datetime({ offset: true }),
});
export type SessionRevokedV1 = z.infer<typeof SessionRevokedV1>;

/**
 * device.commands.v1: a command was queued (or its state changed). The store is the record; this
 * message only says "now" to the gateway instance holding the device's connection, which reads the
 * device's pending commands from the store and delivers them (#18). Keyed by device id.
 */
export const DeviceCommandV1 = z.object({
  v: z.literal(1),
  tenantId: z.string().uuid(),
  deviceId: z.string().min(1),
  commandId: z.string().uuid(),
  at: z.string().datetime({ offset: true }),
});
export type DeviceCommandV1 = z.infer<typeof DeviceCommandV1>;

/**
 * device.desired.v1: the desired configuration of a device (`deviceId`) or of every device of a
 * type (`deviceType`) changed. Only a hint, like device.commands.v1: the gateway instance holding
 * a connection reads the store and pushes the document when its version is newer than what that
 * session was given. Keyed by device id (or tenant:type).
 */
export const DeviceDesiredV1 = z.object({
  v: z.literal(1),
  tenantId: z.string().uuid(),
  deviceId: z.string().min(1).nullable(),
  deviceType: z.string().min(1).nullable(),
  version: z.number().int().nonnegative(),
  at: z.string().datetime({ offset: true }),
});
export type DeviceDesiredV1 = z.infer<typeof DeviceDesiredV1>;
