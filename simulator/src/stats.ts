/** Counters of one fleet run; devices add to them, `stats()` hands out a copy. */
export interface Counters {
  /** Events generated (each a new event id). */
  generated: number;
  /** Event publishes (MQTT PUBLISH / HTTP POST), duplicates and replays included. */
  sent: number;
  /** Of those, acknowledged (PUBACK / HTTP 2xx). */
  acked: number;
  /** Failed sends that will be retried, failed connects, failed handshakes. */
  errors: number;
  /** Events the peer refused for good (HTTP 4xx other than auth): not resent. */
  rejected: number;
  duplicatesSent: number;
  reordered: number;
  malformedSent: number;
  /** Malformed payloads the peer refused (HTTP 4xx); over MQTT they are acknowledged and dead-lettered. */
  malformedRejected: number;
  bursts: number;
  offlineEpisodes: number;
  /** Events sent after having waited in the store-and-forward buffer (offline, or pending from the last run). */
  replayed: number;
  /** Oldest events dropped because the buffer was full. */
  dropped: number;
  /** Refused credentials (CONNACK 4/5, HTTP 401/403). */
  authFailures: number;
  handshakes: number;
  /** Handshakes answered assigned=false. */
  handshakesPending: number;
  connects: number;
  commandsReceived: number;
}

export function emptyCounters(): Counters {
  return {
    generated: 0,
    sent: 0,
    acked: 0,
    errors: 0,
    rejected: 0,
    duplicatesSent: 0,
    reordered: 0,
    malformedSent: 0,
    malformedRejected: 0,
    bursts: 0,
    offlineEpisodes: 0,
    replayed: 0,
    dropped: 0,
    authFailures: 0,
    handshakes: 0,
    handshakesPending: 0,
    connects: 0,
    commandsReceived: 0,
  };
}

export type DevicePhase =
  | 'idle'
  | 'handshaking'
  | 'pending'
  | 'connecting'
  | 'online'
  | 'offline'
  | 'auth_failed'
  | 'stopped';

export interface FleetStats extends Counters {
  devices: { total: number } & Record<DevicePhase, number>;
  /** Events waiting to be sent, and sent but not yet acknowledged. */
  queued: number;
  inflight: number;
  /** Milliseconds since start(). */
  elapsedMs: number;
}
