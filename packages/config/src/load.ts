import { hostname } from 'node:os';
import { join } from 'node:path';
import { type Env, EnvSchema } from './schema.js';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Typed configuration, grouped by port. Built once in a composition root and passed down. */
export interface Config {
  env: Env['NODE_ENV'];
  logLevel: Env['LOG_LEVEL'];
  serviceName: string;
  instanceId: string;
  /** DATA_DIR: everything the embedded defaults keep on disk (database, mail outbox, secrets). */
  dataDir: string;
  bus: {
    kafkaBrokers: string[];
    clientId: string;
    partitions: number;
    replicationFactor?: number;
    minInsyncReplicas?: number;
  };
  store: {
    databaseUrl: string | undefined;
    dataDir: string;
    sqlAccess: boolean;
    port: number;
    poolSize: number;
    statementTimeoutMs: number;
  };
  redisUrl: string | undefined;
  mail: { smtpUrl: string | undefined; from: string; outboxDir: string };
  http: {
    host: string;
    port: number;
    publicUrl: string | undefined;
    corsOrigins: string[];
    /** TRUST_PROXY: express's `trust proxy` (false, hop count, or proxy addresses/subnets). */
    trustProxy: boolean | number | string[];
  };
  realtime: { port: number; maxUpdatesPerSecond: number; maxBuffered: number; drainTimeoutMs: number };
  /** host: loopback by default; token: when set, /metrics needs `Authorization: Bearer <token>`. */
  metrics: { port: number; host: string; token: string | undefined };
  mqtt: {
    host: string;
    port: number;
    wsPort: number;
    /** MQTT_PROXY_PORT / MQTT_WS_PROXY_PORT: listeners behind a PROXY protocol header; -1 = off. */
    proxyPort: number;
    wsProxyPort: number;
    clusterHeartbeatMs: number;
    maxPacketBytes: number;
    maxInflight: number;
    connectsPerIpPerMinute: number;
    maxPayloadBytes: number;
    connectTimeoutMs: number;
    revalidateIntervalMs: number;
    /** MQTT_STRICT_CLIENT_ID: client id must equal the device id. */
    strictClientId: boolean;
  };
  auth: { jwtSecret: string | undefined; accessTtlMs: number; refreshTtlMs: number };
  pipeline: { lateWindowMs: number; futureSkewMs: number; batchSize: number };
  rules: { offlineCheckIntervalMs: number; cacheTtlMs: number; historicalAfterMs: number; relayIntervalMs: number };
  notifier: {
    pollIntervalMs: number;
    maxAttempts: number;
    retryBaseMs: number;
    retryMaxMs: number;
    sendingTimeoutMs: number;
    reminderIntervalMs: number;
  };
  simulate: { enabled: boolean; devices: number; rate: number };
  /** Device identity and the device HTTP endpoints. */
  devices: { tokenGraceMs: number; httpRatePerMinute: number; maxPending: number; pendingTtlMs: number };
  /** REST API: sign-in attempts and device requests per client IP per minute, JSON body limit. */
  api: { loginRatePerMinute: number; deviceIpRatePerMinute: number; bodyLimitBytes: number; firmwareMaxBytes: number };
  /** #20: demo data, server limits, pending-device bounds, password policy, TLS (see schema.ts). */
  security: {
    demoData: boolean;
    headersTimeoutMs: number;
    requestTimeoutMs: number;
    maxConnectionsPerIp: number;
    maxConnections: number;
    maxPendingPerIp: number;
    pendingWindowMs: number;
  };
  tls: {
    certFile: string | undefined;
    keyFile: string | undefined;
    caFile: string | undefined;
    mqttPort: number;
    mqttWssPort: number;
  };
}

/** Parses the environment once; every bad value is reported, by variable name, in one error. */
export function loadConfig(env: NodeJS.ProcessEnv | Record<string, string | undefined>): Config {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = EnvSchema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => {
        const key = String(i.path[0] ?? '?');
        const got = cleaned[key];
        return `${key}: ${i.message}${got !== undefined ? ` (got "${got}")` : ''}`;
      }),
    );
  }
  const e = parsed.data;
  if (
    e.KAFKA_MIN_INSYNC_REPLICAS !== undefined &&
    e.KAFKA_REPLICATION_FACTOR !== undefined &&
    e.KAFKA_MIN_INSYNC_REPLICAS > e.KAFKA_REPLICATION_FACTOR
  ) {
    // every acks=all publish would fail with NOT_ENOUGH_REPLICAS
    throw new ConfigError(['KAFKA_MIN_INSYNC_REPLICAS: must not exceed KAFKA_REPLICATION_FACTOR']);
  }
  if (e.NODE_ENV === 'production' && !e.JWT_SECRET) {
    throw new ConfigError(['JWT_SECRET: required when NODE_ENV=production (at least 32 random characters)']);
  }
  if ((e.TLS_CERT_FILE === undefined) !== (e.TLS_KEY_FILE === undefined)) {
    throw new ConfigError(['TLS_CERT_FILE and TLS_KEY_FILE: give both or neither']);
  }
  return {
    env: e.NODE_ENV,
    logLevel: e.LOG_LEVEL,
    serviceName: e.SERVICE_NAME,
    // pid alone repeats across containers (it is 1 in each): the host name tells replicas apart
    instanceId: e.INSTANCE_ID ?? `${e.SERVICE_NAME}-${hostname()}-${process.pid}`,
    dataDir: e.DATA_DIR,
    bus: {
      kafkaBrokers: e.KAFKA_BROKERS,
      clientId: e.KAFKA_CLIENT_ID,
      partitions: e.KAFKA_PARTITIONS,
      replicationFactor: e.KAFKA_REPLICATION_FACTOR,
      minInsyncReplicas: e.KAFKA_MIN_INSYNC_REPLICAS,
    },
    store: {
      databaseUrl: e.DATABASE_URL,
      dataDir: join(e.DATA_DIR, 'timescaledb'),
      sqlAccess: e.STORE_SQL,
      port: e.STORE_PORT,
      poolSize: e.DB_POOL_SIZE,
      statementTimeoutMs: e.DB_STATEMENT_TIMEOUT_MS,
    },
    redisUrl: e.REDIS_URL,
    mail: { smtpUrl: e.SMTP_URL, from: e.MAIL_FROM, outboxDir: e.MAIL_OUTBOX_DIR ?? `${e.DATA_DIR}/outbox` },
    http: {
      host: e.HTTP_HOST,
      port: e.HTTP_PORT,
      publicUrl: e.PUBLIC_URL,
      corsOrigins: e.CORS_ORIGINS,
      trustProxy: e.TRUST_PROXY,
    },
    realtime: {
      port: e.REALTIME_PORT,
      maxUpdatesPerSecond: e.REALTIME_MAX_UPDATES_PER_SEC,
      maxBuffered: e.REALTIME_MAX_BUFFERED,
      drainTimeoutMs: e.REALTIME_DRAIN_TIMEOUT,
    },
    metrics: { port: e.METRICS_PORT, host: e.METRICS_HOST, token: e.METRICS_TOKEN },
    mqtt: {
      host: e.MQTT_HOST,
      port: e.MQTT_PORT,
      wsPort: e.MQTT_WS_PORT,
      proxyPort: e.MQTT_PROXY_PORT,
      wsProxyPort: e.MQTT_WS_PROXY_PORT,
      clusterHeartbeatMs: e.MQTT_CLUSTER_HEARTBEAT,
      maxPacketBytes: e.MQTT_MAX_PACKET_BYTES,
      maxInflight: e.MQTT_MAX_INFLIGHT,
      connectsPerIpPerMinute: e.MQTT_CONNECTS_PER_IP_PER_MIN,
      maxPayloadBytes: e.MQTT_MAX_PAYLOAD_BYTES,
      connectTimeoutMs: e.MQTT_CONNECT_TIMEOUT,
      revalidateIntervalMs: e.MQTT_REVALIDATE_INTERVAL,
      strictClientId: e.MQTT_STRICT_CLIENT_ID,
    },
    auth: { jwtSecret: e.JWT_SECRET, accessTtlMs: e.JWT_ACCESS_TTL, refreshTtlMs: e.JWT_REFRESH_TTL },
    pipeline: { lateWindowMs: e.LATE_WINDOW, futureSkewMs: e.FUTURE_SKEW, batchSize: e.PIPELINE_BATCH_SIZE },
    rules: {
      offlineCheckIntervalMs: e.OFFLINE_CHECK_INTERVAL,
      cacheTtlMs: e.RULES_CACHE_TTL,
      historicalAfterMs: e.RULES_HISTORICAL_AFTER,
      relayIntervalMs: e.RULES_RELAY_INTERVAL,
    },
    notifier: {
      pollIntervalMs: e.NOTIFY_POLL_INTERVAL,
      maxAttempts: e.NOTIFY_MAX_ATTEMPTS,
      retryBaseMs: e.NOTIFY_RETRY_BASE,
      retryMaxMs: e.NOTIFY_RETRY_MAX,
      sendingTimeoutMs: e.NOTIFY_SENDING_TIMEOUT,
      reminderIntervalMs: e.NOTIFY_REMINDER_INTERVAL,
    },
    simulate: { enabled: e.SIMULATE, devices: e.SIMULATE_DEVICES, rate: e.SIMULATE_RATE },
    devices: {
      tokenGraceMs: e.DEVICE_TOKEN_GRACE,
      httpRatePerMinute: e.DEVICE_HTTP_RATE_PER_MIN,
      maxPending: e.DEVICE_MAX_PENDING,
      pendingTtlMs: e.DEVICE_PENDING_TTL,
    },
    api: {
      loginRatePerMinute: e.API_LOGIN_RATE_PER_MIN,
      deviceIpRatePerMinute: e.API_DEVICE_IP_RATE_PER_MIN,
      bodyLimitBytes: e.API_BODY_LIMIT_BYTES,
      firmwareMaxBytes: e.FIRMWARE_MAX_BYTES,
    },
    security: {
      demoData: e.DEMO_DATA ?? e.NODE_ENV === 'development',
      headersTimeoutMs: e.HTTP_HEADERS_TIMEOUT,
      requestTimeoutMs: e.HTTP_REQUEST_TIMEOUT,
      maxConnectionsPerIp: e.HTTP_MAX_CONNECTIONS_PER_IP,
      maxConnections: e.HTTP_MAX_CONNECTIONS,
      maxPendingPerIp: e.DEVICE_MAX_PENDING_PER_IP,
      pendingWindowMs: e.DEVICE_PENDING_WINDOW,
    },
    tls: {
      certFile: e.TLS_CERT_FILE,
      keyFile: e.TLS_KEY_FILE,
      caFile: e.TLS_CA_FILE,
      mqttPort: e.MQTT_TLS_PORT,
      mqttWssPort: e.MQTT_WSS_PORT,
    },
  };
}
