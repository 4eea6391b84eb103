import { counter, gauge, histogram, type Registry } from '@telemetry/observability';

export interface RealtimeMetrics {
  connected: ReturnType<typeof gauge>;
  emits: ReturnType<typeof counter>;
  coalesced: ReturnType<typeof counter>;
  slowDisconnects: ReturnType<typeof counter>;
  disconnects: ReturnType<typeof counter>;
  refusedHandshakes: ReturnType<typeof counter>;
  subscriptions: ReturnType<typeof counter>;
  consumed: ReturnType<typeof counter>;
  pushLatency: ReturnType<typeof histogram>;
  revocations: ReturnType<typeof counter>;
  redisPublishFailures: ReturnType<typeof counter>;
}

/** The gateway's series; names are shared with the all-in-one process through the one registry. */
export function createMetrics(registry: Registry): RealtimeMetrics {
  return {
    redisPublishFailures: counter(
      registry,
      'realtime_redis_publish_failures_total',
      'Deliveries to the other instances lost because Redis was unreachable (their clients resume by cursor)',
    ),
    connected: gauge(registry, 'realtime_connected_clients', 'Socket.IO clients connected to this instance'),
    emits: counter(registry, 'realtime_emits_total', 'Messages written to client sockets', ['event']),
    coalesced: counter(
      registry,
      'realtime_coalesced_total',
      'Telemetry updates replaced by a newer one of the same device before reaching a client (rate limit or slow client)',
    ),
    slowDisconnects: counter(
      registry,
      'realtime_slow_client_disconnects_total',
      'Clients disconnected because their send buffer passed the limit or did not drain in time',
    ),
    disconnects: counter(registry, 'realtime_server_disconnects_total', 'Sockets closed by the server', ['reason']),
    refusedHandshakes: counter(registry, 'realtime_handshakes_refused_total', 'Connections refused at handshake', [
      'code',
    ]),
    subscriptions: counter(registry, 'realtime_subscriptions_total', 'Subscribe requests by outcome', ['outcome']),
    consumed: counter(registry, 'realtime_consumed_total', 'Bus messages handled by this instance', [
      'topic',
      'outcome',
    ]),
    pushLatency: histogram(
      registry,
      'realtime_push_latency_seconds',
      'Device (or edge receive, when the device sent no time) to socket write, per delivered telemetry message',
    ),
    revocations: counter(
      registry,
      'realtime_revocations_total',
      'auth.sessions.v1 messages applied to this instance’s sockets (logout, password, deletion, role, unassignment)',
    ),
  };
}
