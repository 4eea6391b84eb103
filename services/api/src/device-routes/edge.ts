import type { Bus, OutgoingMessage } from '@telemetry/bus';
import {
  AppError,
  classifyLateness,
  type DeadReason,
  encodeMessage,
  jsonHazardMessage,
  type NormalizedEvent,
  scanJson,
  TelemetryDeadV1,
  TelemetryRawV1,
  Topics,
} from '@telemetry/contracts';
import type { Logger } from '@telemetry/observability';
import type { DeviceIdentity, DeviceRegistry } from '@telemetry/registry';
import { createRateLimiter } from '@telemetry/runtime';
import type { ErrorRequestHandler, Request, Response } from 'express';
import type { z } from 'zod';
import { sendProblem, toProblem } from '../http/problem.js';
import type { DeviceRouteMetrics } from './metrics.js';

/** What every device route uses: authentication, rate limit, body parsing, and the bus. */
export interface Edge {
  registry: DeviceRegistry;
  /** Cap on pending devices that unauthenticated requests may create (undefined: the registry's default). */
  maxPending: number | undefined;
  /** Pending devices per source address and window (#20); undefined fields: the registry's defaults. */
  pendingBounds: { maxPendingPerSource?: number; pendingWindowMs?: number };
  /** The token of `Authorization: Bearer <token>` when the header has that shape (no verification). */
  bearer(req: Request): string | undefined;
  /** Bearer token -> identity, or throws 401/403 as AppError. */
  authenticate(req: Request): Promise<DeviceIdentity>;
  /** Per device (or MAC, or IP): throws RATE_LIMITED when the bucket is empty. */
  limit(key: string): void;
  /** The raw body as JSON; throws a `BadPayload` (not_json) when it is not. */
  json(req: Request): unknown;
  /** Validates with a zod schema; throws a `BadPayload` (schema_invalid / no_event_id). */
  parse<S extends z.ZodType>(schema: S, value: unknown, eventIdRequired?: boolean): z.output<S>;
  rawMessage(tenantId: string, deviceId: string, event: NormalizedEvent, receivedAt: Date): OutgoingMessage;
  /** Resolves once the bus acknowledged (Kafka acks=all; memory: the durable groups processed); else 503. */
  publish(route: string, messages: OutgoingMessage[]): Promise<void>;
  /** A bad payload, kept on telemetry.dead.v1 with the original bytes when its device is known. */
  deadLetter(req: Request, identity: DeviceIdentity | undefined, bad: BadPayload): Promise<void>;
  /**
   * Runs a device route and counts its outcome: resolves with its answer (the route table sends
   * it), or answers the error itself as problem+json (dead-lettering a bad payload) and resolves
   * undefined.
   */
  serve(name: string, fn: (req: Request) => Promise<unknown>): (req: Request, res: Response) => Promise<unknown>;
  /** For errors raised before a route runs (body too large, aborted upload). */
  errorHandler: ErrorRequestHandler;
}

const CODES: Partial<Record<DeadReason, 'TELEMETRY_NOT_JSON' | 'TELEMETRY_TOO_LATE' | 'TELEMETRY_SCHEMA_INVALID'>> = {
  not_json: 'TELEMETRY_NOT_JSON',
  too_late: 'TELEMETRY_TOO_LATE',
};

/**
 * A payload that is not acceptable; dead-lettered when its sender is known, then answered with
 * problem+json naming the reason (`reason`, as in the dead letter and the rejections API).
 */
export class BadPayload extends AppError {
  constructor(
    readonly reason: DeadReason,
    message: string,
    readonly eventId: string | null = null,
    errors?: { path: string; message: string }[],
  ) {
    super(CODES[reason] ?? 'TELEMETRY_SCHEMA_INVALID', message, {
      details: errors ? { reason, errors } : { reason },
    });
  }
}

export function createEdge(deps: {
  bus: Bus;
  registry: DeviceRegistry;
  logger: Logger;
  metrics: DeviceRouteMetrics;
  topics: { raw: string; dead: string };
  ratePerMinute: number;
  maxPending?: number;
  pendingBounds?: { maxPendingPerSource?: number; pendingWindowMs?: number };
  /**
   * The tenant's late window (ms): a reading older than it would be dead-lettered too_late by the
   * pipeline, so it is answered 422 here instead of acknowledged (#14). Same rule as the pipeline
   * (classifyLateness, tenants.settings.ingest.lateWindowDays).
   */
  lateWindow?: (tenantId: string) => Promise<number>;
  /** Device times further ahead than this are filed under the receive time (FUTURE_SKEW): never too late. */
  futureSkewMs?: number;
  now?: () => number;
}): Edge {
  const { bus, registry, logger, metrics, topics } = deps;
  const now = deps.now ?? Date.now;
  /** What rawMessage built, for the late check in publish (the messages are already encoded). */
  const built = new WeakMap<OutgoingMessage, { tenantId: string; eventId: string; ts: string; receivedAt: number }>();

  /** The first message of `messages` the pipeline would dead-letter too_late: refused as a whole (all or nothing). */
  const refuseLate = async (messages: OutgoingMessage[]) => {
    if (!deps.lateWindow) return;
    const windows = new Map<string, number>();
    const late: { index: number; eventId: string; ts: string; window: number }[] = [];
    for (const [index, m] of messages.entries()) {
      const b = built.get(m);
      if (!b) continue;
      const t = Date.parse(b.ts);
      // a device clock ahead of the receive time is filed under the receive time (pipeline timing.ts)
      if (t > b.receivedAt + (deps.futureSkewMs ?? 300_000)) continue;
      let window = windows.get(b.tenantId);
      if (window === undefined) {
        window = await deps.lateWindow(b.tenantId);
        windows.set(b.tenantId, window);
      }
      if (classifyLateness(t, now(), window) === 'too_late') late.push({ index, eventId: b.eventId, ts: b.ts, window });
    }
    const first = late[0];
    if (!first) return;
    const days = Math.round((first.window / 86_400_000) * 10) / 10;
    throw new BadPayload(
      'too_late',
      `device time ${first.ts} is older than the tenant's late window (${days} days): it would not be stored`,
      first.eventId,
      late
        .slice(0, 100)
        .map((l) => ({ path: messages.length > 1 ? `[${l.index}].ts` : 'ts', message: `${l.ts} is too late` })),
    );
  };
  const limiter = createRateLimiter({ perMinute: deps.ratePerMinute });
  /** Who sent a request, once authenticated: a bad payload of a known device is dead-lettered. */
  const senders = new WeakMap<Request, DeviceIdentity>();

  const publish = async (route: string, messages: OutgoingMessage[]) => {
    await refuseLate(messages);
    const end = metrics.busPublishSeconds.startTimer({ route });
    try {
      await bus.publish(topics.raw, messages);
      end();
    } catch (err) {
      logger.warn({ err, route }, 'device request: bus did not acknowledge');
      throw new AppError('UNAVAILABLE', 'the message bus did not acknowledge; retry', { retriable: true, cause: err });
    }
  };

  const deadLetter = async (req: Request, identity: DeviceIdentity | undefined, bad: BadPayload): Promise<void> => {
    metrics.deadLetters.inc({ reason: bad.reason });
    if (!identity) return; // an unauthenticated sender gets an answer, not a place on the bus
    const body: unknown = req.body;
    const value = encodeMessage(TelemetryDeadV1, {
      v: 1,
      reason: bad.reason,
      detail: bad.message.slice(0, 1_000),
      tenantId: identity.tenantId,
      deviceId: identity.deviceId,
      eventId: bad.eventId,
      source: 'http',
      channel: req.path,
      original: (Buffer.isBuffer(body) ? body : Buffer.alloc(0)).toString('base64'),
      receivedAt: new Date().toISOString(),
    });
    await bus.publish(topics.dead, [{ key: identity.deviceId, value }]).catch((err: unknown) => {
      logger.warn({ err, deviceId: identity.deviceId }, 'dead letter not published');
    });
  };

  const bearer = (req: Request): string | undefined => {
    const header = req.headers.authorization;
    return header ? /^Bearer\s+(\S+)$/i.exec(header)?.[1] : undefined;
  };

  return {
    registry,
    maxPending: deps.maxPending,
    pendingBounds: deps.pendingBounds ?? {},
    bearer,

    async authenticate(req) {
      if (!req.headers.authorization)
        throw new AppError('UNAUTHENTICATED', 'Authorization: Bearer <device token> required');
      const token = bearer(req);
      if (!token) throw new AppError('TOKEN_INVALID', 'Authorization header must be "Bearer <token>"');
      const result = await registry.credentials.verifyBearer(token);
      if (result.ok) {
        senders.set(req, result.identity);
        return result.identity;
      }
      if (result.reason === 'pending')
        throw new AppError('DEVICE_NOT_ASSIGNED', 'device is waiting for an admin to assign it');
      if (result.reason === 'revoked') throw new AppError('DEVICE_REVOKED', 'device credentials revoked');
      throw new AppError('TOKEN_INVALID', 'unknown or expired device token: handshake again');
    },

    limit(key) {
      if (!limiter.take(key)) throw new AppError('RATE_LIMITED', 'too many requests from this device');
    },

    json(req) {
      const body: unknown = req.body;
      const bytes = Buffer.isBuffer(body) ? body : Buffer.alloc(0);
      let value: unknown;
      try {
        value = JSON.parse(bytes.toString('utf8'));
      } catch (err) {
        throw new BadPayload('not_json', `body is not JSON: ${(err as Error).message}`);
      }
      // a NUL would be acknowledged and then fail in the database: refused and dead-lettered now (#20)
      const hazard = scanJson(bytes);
      if (hazard) throw new BadPayload('schema_invalid', jsonHazardMessage(hazard));
      return value;
    },

    parse(schema, value, eventIdRequired = false) {
      const parsed = schema.safeParse(value);
      if (parsed.success) return parsed.data;
      const errors = parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
      const obj =
        typeof value === 'object' && value !== null && !Array.isArray(value)
          ? (value as Record<string, unknown>)
          : undefined;
      if (eventIdRequired && obj && obj.event_id === undefined)
        throw new BadPayload('no_event_id', 'event_id is required', null, errors);
      const eventId = typeof obj?.event_id === 'string' ? obj.event_id : null;
      throw new BadPayload(
        'schema_invalid',
        errors.map((e) => `${e.path || '(root)'}: ${e.message}`).join('; '),
        eventId,
        errors,
      );
    },

    rawMessage(tenantId, deviceId, event, receivedAt) {
      const value = encodeMessage(TelemetryRawV1, {
        v: 1,
        tenantId,
        deviceId,
        eventId: event.eventId,
        kind: event.kind,
        ts: event.ts ?? receivedAt.toISOString(),
        receivedAt: receivedAt.toISOString(),
        source: 'http',
        metrics: event.metrics,
        attributes: event.attributes,
        trace: { ...(event.ts ? { device: Date.parse(event.ts) } : {}), gateway: receivedAt.getTime() },
      });
      const message = { key: deviceId, value };
      if (event.ts)
        built.set(message, { tenantId, eventId: event.eventId, ts: event.ts, receivedAt: receivedAt.getTime() });
      return message;
    },

    publish,

    deadLetter,

    errorHandler(err, req, res, _next) {
      const p = toProblem(err);
      metrics.requests.inc({ route: req.path, outcome: String(p.status) });
      if (res.headersSent) return void res.end();
      sendProblem(res, p);
    },

    serve(name, fn) {
      return (req, res) =>
        fn(req).then(
          (answer) => {
            metrics.requests.inc({ route: name, outcome: '200' });
            return answer;
          },
          async (err: unknown) => {
            if (err instanceof BadPayload) await deadLetter(req, senders.get(req), err);
            const p = toProblem(err);
            if (p.status >= 500) logger.error({ err, route: name }, 'device request failed');
            metrics.requests.inc({ route: name, outcome: String(p.status) });
            if (res.headersSent) return void res.end();
            sendProblem(res, p);
          },
        );
    },
  };
}

export const DEFAULT_TOPICS = { raw: Topics.telemetryRaw, dead: Topics.telemetryDead };
