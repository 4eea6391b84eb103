import { type Counter, counter, type Histogram, histogram, type Registry } from '@telemetry/observability';

export interface DeviceRouteMetrics {
  requests: Counter;
  deadLetters: Counter;
  busPublishSeconds: Histogram;
}

export function createDeviceRouteMetrics(registry: Registry): DeviceRouteMetrics {
  return {
    requests: counter(registry, 'device_http_requests_total', 'Device HTTP requests, by route and outcome', [
      'route',
      'outcome',
    ]),
    deadLetters: counter(registry, 'device_http_dead_letters_total', 'Device HTTP payloads dead-lettered, by reason', [
      'reason',
    ]),
    busPublishSeconds: histogram(
      registry,
      'device_http_bus_publish_seconds',
      'Bus acknowledgement time of a device request',
      ['route'],
    ),
  };
}
