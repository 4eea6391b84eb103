import type { Bus } from '@telemetry/bus';
import {
  DispenserLevel,
  EventAck,
  HandshakeRequest,
  HandshakeResponse,
  LegacyIotAck,
  LegacyIotForm,
  OzoneEvent,
  ReadingBatch,
  ReadingsAck,
} from '@telemetry/contracts';
import {
  createRegistry as createMetricsRegistry,
  type Logger,
  type Registry as MetricsRegistry,
} from '@telemetry/observability';
import type { DeviceRegistry } from '@telemetry/registry';
import express, { type Router } from 'express';
import { type AnyRoute, mountRoutes, type RouteTable } from '../http/route-table.js';
import { createEdge, DEFAULT_TOPICS, type Edge } from './edge.js';
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
  /** Check every answer against its response schema (outside production: the API passes config.env). */
  checkResponses?: boolean;
}

const TAGS = ['device'];

/**
 * The five device endpoints as route specs: in the route table (so in OpenAPI, with their bodies
 * and answers) but served raw, by the router `mountDeviceRoutes` builds: the edge validates the
 * bytes itself so a bad payload is dead-lettered as it came. Paths end in "/" as the seeds' do.
 */
function deviceRouteSpecs(edge: Edge): AnyRoute[] {
  /** `name`: the route label of the device request metrics. */
  const spec = (
    name: string,
    s: Omit<AnyRoute, 'method' | 'tags' | 'handler' | 'raw'> & { raw: { limit: string; contentType?: string } },
    serve: (req: express.Request) => Promise<unknown>,
  ): AnyRoute => {
    const run = edge.serve(name, serve);
    return {
      ...s,
      method: 'post',
      tags: TAGS,
      before: [express.raw({ type: () => true, limit: s.raw.limit })],
      handler: ({ req, res }) => run(req, res),
    };
  };
  /** One event of a device with its token, acknowledged (EventAck) once the bus stored it. */
  const eventRoute = (
    name: string,
    path: string,
    summary: string,
    r: { limit: string; body: NonNullable<AnyRoute['body']> },
    serve: (req: express.Request) => Promise<unknown>,
  ) =>
    spec(name, { path, summary, access: 'device', raw: { limit: r.limit }, body: r.body, response: EventAck }, serve);
  return [
    spec(
      'handshake',
      {
        path: '/api/handshake/',
        summary: 'Device handshake (ozone seed): a new device token for a MAC; an unknown MAC becomes a pending device',
        description:
          'Optional `claim_code` in the body and `Authorization: Bearer <current token>` as proof; see device-routes/README.md for the handshake policies.',
        access: 'public',
        raw: { limit: '4kb' },
        body: HandshakeRequest,
        response: HandshakeResponse,
      },
      handshake(edge),
    ),
    spec(
      'iot',
      {
        path: '/api/iot/',
        summary: 'Legacy firmware (ozone seed): a form identified by macaddr, for devices an admin opted in',
        access: 'public',
        raw: { limit: '16kb', contentType: 'application/x-www-form-urlencoded' },
        body: LegacyIotForm,
        response: LegacyIotAck,
      },
      legacyIot(edge),
    ),
    spec(
      'readings',
      {
        path: '/api/device/readings/',
        summary:
          'A batch of readings (aggregator seed): the device’s own, or its tenant’s with can_relay; all or nothing',
        access: 'device',
        raw: { limit: '2mb' },
        body: ReadingBatch,
        response: ReadingsAck,
      },
      readings(edge),
    ),
    eventRoute(
      'events',
      '/api/device/events/',
      'A device event (ozone seed), idempotent on event_id; acknowledged once the bus stored it',
      { limit: '32kb', body: OzoneEvent },
      deviceEvents(edge),
    ),
    eventRoute(
      'level',
      '/api/device/level/',
      'A dispenser’s level, sent by the device itself (dispenser seed)',
      { limit: '4kb', body: DispenserLevel },
      level(edge),
    ),
  ];
}

/**
 * The device HTTP endpoints (ozone handshake/events/legacy, aggregator readings, dispenser level):
 * the same validation and the same topic (telemetry.raw.v1) as MQTT, a 2xx only once the bus
 * acknowledged, RFC 9457 problem+json otherwise. Bodies are read raw (mount before a JSON parser),
 * so a malformed payload can be dead-lettered with its original bytes. With `table`, the specs
 * join it (the API's OpenAPI document lists them).
 */
export function createDeviceRoutes(deps: DeviceRoutesDeps, table?: RouteTable): Router {
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
  const specs = deviceRouteSpecs(edge);
  for (const s of specs) table?.add(s);
  // not strict, as before the route table: `/api/handshake` without the slash is served too
  const router = express.Router();
  // no user is authenticated on these routes (access public/device): the edge checks device tokens
  const noUser = Object.assign(async () => undefined, { precheck: () => false });
  mountRoutes(specs, router, noUser, { checkResponses: deps.checkResponses });
  // A body over its limit (or unreadable) fails in express.raw, before the route: same encoder.
  router.use(edge.errorHandler);
  return router;
}
