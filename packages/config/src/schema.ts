import { z } from 'zod';
import { parseDuration } from './duration.js';

const port = z.coerce.number().int().min(0).max(65_535);
const positiveInt = z.coerce.number().int().positive();
const list = z.string().transform((s) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean),
);
const duration = z.string().transform((s, ctx) => {
  try {
    return parseDuration(s);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});
const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((s) => ['true', '1', 'yes'].includes(s));
const url = z.string().url();

/**
 * Every setting, by its environment variable. Absent engine URLs mean the embedded default
 * (in-process bus, embedded TimescaleDB, in-process cache, outbox-folder mail).
 */
export const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SERVICE_NAME: z.string().default('telemetry'),
  INSTANCE_ID: z.string().optional(),

  KAFKA_BROKERS: list.default([]),
  KAFKA_CLIENT_ID: z.string().default('telemetry'),
  KAFKA_PARTITIONS: positiveInt.default(6),
  // Topics created by the services (ensureTopics): replicas per partition and the replicas that must
  // have a message before acks=all acknowledges it. Absent: the broker's defaults (1 for a dev broker).
  KAFKA_REPLICATION_FACTOR: positiveInt.optional(),
  KAFKA_MIN_INSYNC_REPLICAS: positiveInt.optional(),

  DATABASE_URL: url.optional(),
  DATA_DIR: z.string().default('./data'),
  /**
   * Embedded store only: read-only SQL for a person (psql, `pnpm sql`), off by default. On: a Unix
   * socket in DATA_DIR/timescaledb and TCP 127.0.0.1:STORE_PORT (0 = a free one), both checked
   * against the password in DATA_DIR/timescaledb/sql-password. Off: the store listens nowhere.
   */
  STORE_SQL: bool.default(false),
  STORE_PORT: port.default(0),
  DB_POOL_SIZE: positiveInt.default(10),
  /** statement_timeout of every server connection (ms, 0 = none): no query holds a connection for long (#15). */
  DB_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(0).default(15_000),

  REDIS_URL: url.optional(),

  SMTP_URL: url.optional(),
  MAIL_FROM: z.string().default('Telemetry <alerts@telemetry.local>'),
  MAIL_OUTBOX_DIR: z.string().optional(),

  HTTP_HOST: z.string().default('0.0.0.0'),
  HTTP_PORT: port.default(8080),
  REALTIME_PORT: port.default(8081),
  METRICS_PORT: port.default(9464),
  PUBLIC_URL: url.optional(),
  CORS_ORIGINS: list.default([]),

  MQTT_HOST: z.string().default('0.0.0.0'),
  MQTT_PORT: port.default(1884),
  /** -1 turns MQTT over WebSocket off. */
  MQTT_WS_PORT: z.coerce.number().int().min(-1).max(65_535).default(8884),
  // Behind a load balancer (HAProxy send-proxy-v2): listeners whose connections start with a PROXY
  // protocol v1/v2 header carrying the device's address (the per-IP connect limit keys on it).
  // Only the proxy may reach them: the header is believed. -1 = off.
  MQTT_PROXY_PORT: z.coerce.number().int().min(-1).max(65_535).default(-1),
  MQTT_WS_PROXY_PORT: z.coerce.number().int().min(-1).max(65_535).default(-1),
  // With REDIS_URL: how often a gateway instance tells the others it is alive; wills of an instance
  // silent for 3 heartbeats are published by a survivor (checked every 4).
  MQTT_CLUSTER_HEARTBEAT: duration.default(parseDuration('60s')),
  MQTT_MAX_PACKET_BYTES: positiveInt.default(65_536),
  MQTT_MAX_INFLIGHT: positiveInt.default(10_000),
  MQTT_CONNECTS_PER_IP_PER_MIN: positiveInt.default(600),

  JWT_SECRET: z.string().min(32, 'JWT_SECRET must be at least 32 characters').optional(),
  JWT_ACCESS_TTL: duration.default(parseDuration('15m')),
  JWT_REFRESH_TTL: duration.default(parseDuration('30d')),

  LATE_WINDOW: duration.default(parseDuration('7d')),
  FUTURE_SKEW: duration.default(parseDuration('5m')),
  PIPELINE_BATCH_SIZE: positiveInt.default(1000),

  REALTIME_MAX_UPDATES_PER_SEC: positiveInt.default(4),
  OFFLINE_CHECK_INTERVAL: duration.default(parseDuration('10s')),

  SIMULATE: bool.default(true),
  SIMULATE_DEVICES: positiveInt.default(12),
  SIMULATE_RATE: z.coerce.number().positive().default(1),

  // realtime (services/realtime): packets a client may leave unread before it is cut off as too
  // slow, and how long its buffer may stay congested (telemetry held back) before that happens
  REALTIME_MAX_BUFFERED: positiveInt.default(1000),
  REALTIME_DRAIN_TIMEOUT: duration.default(parseDuration('30s')),

  // rules (services/rules)
  RULES_CACHE_TTL: duration.default(parseDuration('5s')),
  RULES_HISTORICAL_AFTER: duration.default(parseDuration('15m')),
  RULES_RELAY_INTERVAL: duration.default(parseDuration('2s')),

  // notifier (services/notifier)
  // the sender's safety poll: a new row wakes it, a retry schedules it (#23)
  NOTIFY_POLL_INTERVAL: duration.default(parseDuration('30s')),
  NOTIFY_MAX_ATTEMPTS: positiveInt.default(8),
  NOTIFY_RETRY_BASE: duration.default(parseDuration('5s')),
  NOTIFY_RETRY_MAX: duration.default(parseDuration('15m')),
  NOTIFY_SENDING_TIMEOUT: duration.default(parseDuration('2m')),
  NOTIFY_REMINDER_INTERVAL: duration.default(parseDuration('1m')),

  // device edge (services/mqtt-gateway, services/api device routes)
  MQTT_MAX_PAYLOAD_BYTES: positiveInt.default(16_384),
  MQTT_CONNECT_TIMEOUT: duration.default(parseDuration('10s')),
  MQTT_REVALIDATE_INTERVAL: duration.default(parseDuration('60s')),
  // true: the MQTT client id must be the device id (or empty with a clean session), else CONNACK 2.
  // false (default): any client id once username/password authenticate the device (firmware
  // libraries' default ids), the session is keyed by the device id.
  MQTT_STRICT_CLIENT_ID: bool.default(false),
  DEVICE_TOKEN_GRACE: duration.default(parseDuration('1h')),
  DEVICE_HTTP_RATE_PER_MIN: positiveInt.default(600),
  // Pending devices (created by unknown MACs, unauthenticated): at most this many wait for an
  // admin (beyond: 429, nothing recorded); the ones not heard from for DEVICE_PENDING_TTL are deleted.
  DEVICE_MAX_PENDING: positiveInt.default(10_000),
  DEVICE_PENDING_TTL: duration.default(parseDuration('30d')),

  // Security (#20, SECURITY.md). Demo tenant, users and fleet: only when asked (DEMO_DATA=true);
  // default true in development (`pnpm start` to try it out), never by default in production/test.
  DEMO_DATA: bool.optional(),
  // The per-service /metrics servers: loopback unless told otherwise; with METRICS_TOKEN set they
  // need `Authorization: Bearer <token>` (then binding elsewhere is safe).
  METRICS_HOST: z.string().default('127.0.0.1'),
  METRICS_TOKEN: z.string().min(16, 'METRICS_TOKEN must be at least 16 characters').optional(),
  // HTTP server limits against half-sent requests: a request's headers must arrive within
  // HTTP_HEADERS_TIMEOUT and the whole request within HTTP_REQUEST_TIMEOUT; one client address
  // holds at most HTTP_MAX_CONNECTIONS_PER_IP open connections (beyond: closed at once).
  HTTP_HEADERS_TIMEOUT: duration.default(parseDuration('10s')),
  HTTP_REQUEST_TIMEOUT: duration.default(parseDuration('30s')),
  HTTP_MAX_CONNECTIONS_PER_IP: positiveInt.default(256),
  HTTP_MAX_CONNECTIONS: positiveInt.default(10_000),
  // Pending devices one source address may create per DEVICE_PENDING_WINDOW (unauthenticated
  // handshakes with unknown MACs); past it: 429 for that address only, real devices elsewhere go on.
  DEVICE_MAX_PENDING_PER_IP: positiveInt.default(20),
  DEVICE_PENDING_WINDOW: duration.default(parseDuration('1h')),
  // TLS (#20): certificate and key files (PEM), re-read when they change. With them, MQTT over TLS
  // listens on MQTT_TLS_PORT (8883; -1: off), MQTT over WebSocket/TLS on MQTT_WSS_PORT (-1: off), and
  // the HTTP server speaks HTTPS. TLS_CA_FILE: the CA whose client certificates authenticate devices
  // (X.509, CN = device id or a fingerprint registered on the device); without it no client certificates.
  TLS_CERT_FILE: z.string().optional(),
  TLS_KEY_FILE: z.string().optional(),
  TLS_CA_FILE: z.string().optional(),
  MQTT_TLS_PORT: z.coerce.number().int().min(-1).max(65_535).default(8883),
  MQTT_WSS_PORT: z.coerce.number().int().min(-1).max(65_535).default(-1),

  // REST API (services/api)
  API_LOGIN_RATE_PER_MIN: positiveInt.default(20),
  API_DEVICE_IP_RATE_PER_MIN: positiveInt.default(6000),
  API_BODY_LIMIT_BYTES: positiveInt.default(1_048_576),
  // Largest firmware image a manager may upload (#18); it is held in memory while its checksum is
  // computed, then stored in the database in chunks. ESP32 app partitions are at most a few MiB.
  FIRMWARE_MAX_BYTES: positiveInt.default(8_388_608),
  // Behind a reverse proxy: which X-Forwarded-For entries to believe for the client IP (the rate
  // limits key on it). false (default: the socket's address), a number of proxy hops, or a comma
  // list of proxy addresses/subnets (also loopback, linklocal, uniquelocal); true believes any
  // header, so only when the proxy overwrites it. Express's `trust proxy` setting.
  TRUST_PROXY: z
    .string()
    .transform((s, ctx) => {
      if (s === 'true' || s === 'false') return s === 'true';
      if (/^\d+$/.test(s)) return Number(s);
      const items = s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean);
      const bad = items.filter((x) => !/^(loopback|linklocal|uniquelocal|[0-9A-Fa-f.:]+(\/\d{1,3})?)$/.test(x));
      if (items.length === 0 || bad.length > 0) {
        ctx.addIssue({
          code: 'custom',
          message: `not true, false, a hop count or addresses/subnets: ${bad.join(', ')}`,
        });
        return z.NEVER;
      }
      return items;
    })
    .default(false),
});

export type Env = z.infer<typeof EnvSchema>;
