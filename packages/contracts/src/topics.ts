/** Topic names, versioned: a breaking change to a message gets a new topic (v2), never an edit. */
export const Topics = {
  telemetryRaw: 'telemetry.raw.v1',
  telemetryAccepted: 'telemetry.accepted.v1',
  telemetryDead: 'telemetry.dead.v1',
  alerts: 'alerts.v1',
  tasks: 'tasks.v1',
  devicePresence: 'device.presence.v1',
  /** A user's sessions ended or their rights narrowed: realtime re-checks the user's open sockets at once (#20). */
  sessions: 'auth.sessions.v1',
  /** A message a consumer failed on for good (not retriable): the original bytes, the reason and source in headers. */
  deadLetter: 'dead-letter.v1',
  /** A command for a device was created or changed state: the gateway holding its connection delivers it (#18). */
  deviceCommands: 'device.commands.v1',
  /** A device's (or a device type's) desired configuration changed: the gateway holding the connection pushes it (#18). */
  deviceDesired: 'device.desired.v1',
} as const;

export type TopicName = (typeof Topics)[keyof typeof Topics];

export const allTopics: TopicName[] = Object.values(Topics);

/** MQTT topics a device may use; `{id}` is the device id it authenticated as. */
export const DeviceTopics = {
  telemetry: (id: string) => `devices/${id}/telemetry`,
  events: (id: string) => `devices/${id}/events`,
  status: (id: string) => `devices/${id}/status`,
  commands: (id: string) => `devices/${id}/commands`,
  /** Where a device answers a command: `{"id": "<command id>", "status": "ok"|"error", "result": ...}`. */
  commandReplies: (id: string) => `devices/${id}/commands/reply`,
  /** Desired configuration, to the device (QoS 1): `{"version": N, "desired": {...}}`, the whole document each time. */
  desired: (id: string) => `devices/${id}/desired`,
  /** What the device applied: `{"version": N, "reported": {...}}`; N is the desired version it applied. */
  reported: (id: string) => `devices/${id}/reported`,
  /** Where a device reports a firmware rollout: `{"rolloutId", "state", "bytes", "version", "error"}` (#18). */
  firmware: (id: string) => `devices/${id}/firmware`,
} as const;
