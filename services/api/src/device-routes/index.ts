import type { Bus } from '@telemetry/bus';
import {
  createRegistry as createMetricsRegistry,
  type Logger,
  type Registry as MetricsRegistry,
} from '@telemetry/observability';
import type { Registry as DeviceRegistry } from '@telemetry/registry';
import express, { type Router } from 'express';
import { createEdge, DEFAULT_TOPICS } from './edge.js';
import { deviceEvents } from './events.js';
import { handshake } from './handshake.js';
import { legacyIot } from './legacy-iot.js';
import { level } from './level.js';
import { createDeviceRouteMetrics } from './metrics.js';
import { readings } from './readings.js';

export { type Problem, problem, sendProblem, toProblem } from '../http/problem.js';

export interface DeviceRoutesDeps {
  bus: Bus;
  /** Device identity (@telemetry/registry). */
  deviceRegistry: DeviceRegistry;
  logger: Logger;
  /** The process's prom-client registry (the API passes its own under this name). */
  registry?: MetricsRegistry;
  /** Topic names; tests give their own. Default telemetry.raw.v1 / telemetry.dead.v1. */
  topics?: { raw?: string; dead?: string };
  /**
   * Read for devices.httpRatePerMinute (DEVICE_HTTP_RATE_PER_MIN) and devices.maxPending
   * (DEVICE_MAX_PENDING); the API passes its Config.
   */
  config?: {
    devices?: { httpRatePerMinute?: number; maxPending?: number };
    security?: { maxPendingPerIp?: number; pendingWindowMs?: number };
  };
  /** Requests per minute per device (or per MAC, per IP for handshakes). Default: config, else 600. */
  ratePerMinute?: number;
  /**
   * The tenant's late window in ms (the API reads tenants.settings.ingest.lateWindowDays); readings
   * older than it are answered 422 too_late, as the pipeline would dead-letter them. Absent: not checked.
   */
  lateWindow?: (tenantId: string) => Promise<number>;
  /** FUTURE_SKEW (ms); default 5 min. */
  futureSkewMs?: number;
}

/** Body limits per endpoint: a reading batch may be big, a single event is not. */
const LIMITS = { handshake: '4kb', events: '32kb', iot: '16kb', readings: '2mb', level: '4kb' } as const;

/**
 * The device HTTP endpoints (ozone handshake/events/legacy, aggregator readings, dispenser level):
 * the same validation and the same topic (telemetry.raw.v1) as MQTT, a 2xx only once the bus
 * acknowledged, RFC 9457 problem+json otherwise. Bodies are read raw (mount before a JSON parser),
 * so a malformed payload can be dead-lettered with its original bytes.
 */
export function createDeviceRoutes(deps: DeviceRoutesDeps): Router {
  const metrics = createDeviceRouteMetrics(deps.registry ?? createMetricsRegistry());
  const edge = createEdge({
    bus: deps.bus,
    registry: deps.deviceRegistry,
    logger: deps.logger,
    metrics,
    topics: { raw: deps.topics?.raw ?? DEFAULT_TOPICS.raw, dead: deps.topics?.dead ?? DEFAULT_TOPICS.dead },
    ratePerMinute: deps.ratePerMinute ?? deps.config?.devices?.httpRatePerMinute ?? 600,
    maxPending: deps.config?.devices?.maxPending,
    pendingBounds: {
      ...(deps.config?.security?.maxPendingPerIp !== undefined
        ? { maxPendingPerSource: deps.config.security.maxPendingPerIp }
        : {}),
      ...(deps.config?.security?.pendingWindowMs !== undefined
        ? { pendingWindowMs: deps.config.security.pendingWindowMs }
        : {}),
    },
    lateWindow: deps.lateWindow,
    futureSkewMs: deps.futureSkewMs,
  });
  const raw = (limit: string) => express.raw({ type: () => true, limit });
  const router = express.Router();
  router.post('/api/handshake/', raw(LIMITS.handshake), edge.route('handshake', handshake(edge)));
  router.post('/api/device/events/', raw(LIMITS.events), edge.route('events', deviceEvents(edge)));
  router.post('/api/iot/', raw(LIMITS.iot), edge.route('iot', legacyIot(edge)));
  router.post('/api/device/readings/', raw(LIMITS.readings), edge.route('readings', readings(edge)));
  router.post('/api/device/level/', raw(LIMITS.level), edge.route('level', level(edge)));
  // A body over its limit (or unreadable) fails in express.raw, before the route: same encoder.
  router.use(edge.errorHandler);
  return router;
}
