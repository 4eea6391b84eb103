import {
  type Counter,
  counter,
  type Gauge,
  gauge,
  type Histogram,
  histogram,
  type Registry,
} from '@telemetry/observability';

/** Every number the gateway exposes on /metrics. */
export interface GatewayMetrics {
  connections: Gauge;
  connects: Counter;
  connectsRefused: Counter;
  connectionsDropped: Counter;
  publishes: Counter;
  publishesRefused: Counter;
  subscribesRefused: Counter;
  deadLetters: Counter;
  /** Per device, as the issue asks; only misbehaving devices ever get a series. */
  deadLettersByDevice: Counter;
  qos0Dropped: Counter;
  inflight: Gauge;
  busAvailable: Gauge;
  busPublishSeconds: Histogram;
  busPublishFailures: Counter;
  presenceDropped: Counter;
}

export function createGatewayMetrics(registry: Registry): GatewayMetrics {
  const m: GatewayMetrics = {
    connections: gauge(registry, 'mqtt_connections', 'Authenticated MQTT sessions open now'),
    connects: counter(registry, 'mqtt_connects_total', 'CONNECTs accepted (CONNACK 0)'),
    connectsRefused: counter(registry, 'mqtt_connects_refused_total', 'Connections refused, by reason', ['reason']),
    connectionsDropped: counter(
      registry,
      'mqtt_connections_dropped_total',
      'Connections closed by the gateway for a protocol abuse, by reason',
      ['reason'],
    ),
    publishes: counter(registry, 'mqtt_publishes_total', 'PUBLISHes accepted by the ACL', ['channel', 'qos']),
    publishesRefused: counter(
      registry,
      'mqtt_publishes_refused_total',
      'PUBLISHes refused (connection closed), by reason',
      ['reason'],
    ),
    subscribesRefused: counter(registry, 'mqtt_subscribes_refused_total', 'SUBSCRIBE filters refused (SUBACK 0x80)', [
      'reason',
    ]),
    deadLetters: counter(registry, 'mqtt_dead_letters_total', 'Payloads sent to telemetry.dead.v1, by reason', [
      'reason',
    ]),
    deadLettersByDevice: counter(registry, 'mqtt_dead_letters_by_device_total', 'Payloads dead-lettered, by device', [
      'device',
    ]),
    qos0Dropped: counter(
      registry,
      'mqtt_qos0_dropped_total',
      'QoS 0 messages not forwarded because the gateway stopped',
    ),
    inflight: gauge(registry, 'mqtt_inflight', 'Messages accepted from devices and not yet acknowledged by the bus'),
    busAvailable: gauge(
      registry,
      'mqtt_bus_available',
      '1 while the bus is healthy and publishes succeed; 0 while acknowledgements are being withheld',
    ),
    busPublishSeconds: histogram(
      registry,
      'mqtt_bus_publish_seconds',
      'Bus publish latency (one batch of one device)',
      ['topic'],
    ),
    busPublishFailures: counter(registry, 'mqtt_bus_publish_failures_total', 'Failed bus publishes (retried)', [
      'topic',
    ]),
    presenceDropped: counter(
      registry,
      'mqtt_presence_dropped_total',
      'Presence changes not recorded (bus or store failing)',
    ),
  };
  m.busAvailable.set(1);
  return m;
}
