import { createPasswordHasher, createRefreshTokens, createTokenService, type PasswordHasher } from '@telemetry/auth';
import type { Bus } from '@telemetry/bus';
import type { Config } from '@telemetry/config';
import type { Logger, Registry } from '@telemetry/observability';
import { createDeviceRegistry, type DeviceRegistry } from '@telemetry/registry';
import type { Store } from '@telemetry/store';
import type { Express, RequestHandler, Router } from 'express';
import { registerAlertRoutes } from './alerts/routes.js';
import { buildApp } from './app.js';
import { registerAssetRoutes } from './assets/routes.js';
import { registerAuditRoutes } from './audit/routes.js';
import { registerAuthRoutes } from './auth/routes.js';
import { registerCommandRoutes } from './commands/routes.js';
import { registerAggregatorRoutes } from './compat/aggregator/routes.js';
import { registerAuthCompatRoutes } from './compat/auth.js';
import { registerDispenserRoutes } from './compat/dispenser/routes.js';
import { registerEnergyRoutes } from './compat/energy/routes.js';
import { registerOzoneRoutes } from './compat/ozone/routes.js';
import { registerConflictRoutes } from './conflicts/routes.js';
import type { ApiContext } from './context.js';
import { registerDashboardRoutes } from './dashboards/routes.js';
import { createDeviceRoutes } from './device-routes/index.js';
import { lateWindowOf } from './device-routes/late-window.js';
import { registerDecoderRoutes } from './device-types/decoder-routes.js';
import { registerDeviceTypeRoutes } from './device-types/routes.js';
import { registerDeviceAdminRoutes } from './devices/admin-routes.js';
import { registerDeviceRoutes } from './devices/routes.js';
import { createDeviceViews } from './devices/service.js';
import { registerFirmwareRoutes } from './firmware/routes.js';
import { createAuthenticate } from './http/authenticate.js';
import { createRateLimits } from './http/rate-limit.js';
import { RouteTable } from './http/route-table.js';
import { type ApiTopics, createPublisher } from './publish.js';
import { registerRecipientRoutes } from './recipients/routes.js';
import { registerRejectionRoutes } from './rejections/routes.js';
import { registerRuleRoutes } from './rules/routes.js';
import { resolveJwtSecret } from './secret.js';
import { registerShadowRoutes } from './shadow/routes.js';
import { registerSiteRoutes } from './sites/routes.js';
import { registerTaskRoutes } from './tasks/routes.js';
import { registerTelemetryRoutes } from './telemetry/routes.js';
import { createTelemetryService } from './telemetry/service.js';
import { registerTelemetryImportRoutes } from './telemetry-import/routes.js';
import { registerTenantRoutes } from './tenants/routes.js';
import { registerUserRoutes } from './users/routes.js';

export { createApiServer } from './http/api-server.js';
export { type AnyRoute, RouteTable } from './http/route-table.js';
export { applyServerLimits, serverOptions } from './http/server-limits.js';
export { resolveJwtSecret } from './secret.js';
export { createFirstAdmin, type DemoSeed, seedDemo } from './seed.js';

export interface ApiDeps {
  store: Store;
  bus: Bus;
  logger: Logger;
  /** prom-client registry of the process. */
  registry: Registry;
  config: Config;
  /** The dashboard build to serve at /. */
  staticDir?: string;
  /** Default: scrypt with production cost; tests pass a cheaper one (FAST_SCRYPT). */
  passwords?: PasswordHasher;
  /** Topic names (tests use their own). */
  topics?: Partial<ApiTopics>;
  /** The device HTTP endpoints; default: createDeviceRoutes of ./device-routes. `false`: none. */
  deviceRoutes?: RequestHandler | Router | false;
  /** Readiness checks besides the store (the stack adds its own engines). */
  ready?: () => Promise<boolean> | boolean;
  /** Shown under `detail` in /readyz without deciding readiness (e.g. failing TimescaleDB jobs). */
  readinessDetail?: () => Record<string, unknown>;
  now?: () => number;
}

export interface Api {
  app: Express;
  /** Every route with its schemas (the OpenAPI document is built from it). */
  routes: RouteTable;
  openapi: Record<string, unknown>;
  /** One pass of the api's outbox relay (it also runs every RULES_RELAY_INTERVAL): rows older than graceMs. */
  relayOutbox(graceMs: number): Promise<number>;
  /** Stops background work; the engines belong to the caller. */
  close(): Promise<void>;
}

/**
 * The REST API: auth, tenants, users, assets, devices, telemetry, alerts, tasks, rules, OpenAPI
 * at /docs. The caller owns the http server (`app.listen`, or the stack's server that also
 * carries Socket.IO) and the engines.
 */
export function createApi(deps: ApiDeps): Api {
  const { store, config, logger } = deps;
  const now = deps.now ?? Date.now;
  const secret = resolveJwtSecret(config, logger);
  const tokens = createTokenService({ secret, accessTtlMs: config.auth.accessTtlMs, now });
  const authenticate = createAuthenticate({ tokens, pool: store.pool, corsOrigins: config.http.corsOrigins });
  const ctx: ApiContext = {
    store,
    bus: deps.bus,
    logger,
    config,
    tokens,
    refreshTokens: createRefreshTokens({
      pool: store.pool,
      withTransaction: store.withTransaction,
      ttlMs: config.auth.refreshTtlMs,
      now,
    }),
    passwords: deps.passwords ?? createPasswordHasher(),
    devices: createDeviceRegistry({ pool: store.pool, tokenGraceMs: config.devices.tokenGraceMs }),
    publish: createPublisher({ bus: deps.bus, store, logger, topics: deps.topics }),
    deviceViews: createDeviceViews(store.pool),
    now,
    authenticate,
  };
  const limits = createRateLimits({
    loginPerMinute: config.api.loginRatePerMinute,
    devicePerMinute: config.api.deviceIpRatePerMinute,
  });

  const table = new RouteTable();
  const auth = registerAuthRoutes(table, ctx, limits);
  registerAuthCompatRoutes(table, ctx, auth, limits);
  registerTenantRoutes(table, ctx);
  registerUserRoutes(table, ctx);
  registerSiteRoutes(table, ctx);
  registerAssetRoutes(table, ctx);
  registerDeviceRoutes(table, ctx);
  registerDeviceAdminRoutes(table, ctx);
  registerDeviceTypeRoutes(table, ctx);
  registerRejectionRoutes(table, ctx);
  registerConflictRoutes(table, ctx);
  registerDecoderRoutes(table, ctx);
  const telemetry = createTelemetryService(ctx);
  registerTelemetryRoutes(table, telemetry);
  registerTelemetryImportRoutes(table, ctx);
  registerOzoneRoutes(table, ctx, telemetry);
  registerDispenserRoutes(table, ctx);
  registerAggregatorRoutes(table, ctx);
  registerEnergyRoutes(table, ctx);
  registerAlertRoutes(table, ctx);
  registerTaskRoutes(table, ctx);
  registerRuleRoutes(table, ctx);
  registerRecipientRoutes(table, ctx);
  registerAuditRoutes(table, ctx);
  registerCommandRoutes(table, ctx);
  registerDashboardRoutes(table, ctx);
  registerShadowRoutes(table, ctx);
  registerFirmwareRoutes(table, ctx);

  const deviceRouter =
    deps.deviceRoutes === false
      ? undefined
      : (deps.deviceRoutes ??
        createDeviceRoutes(
          {
            bus: deps.bus,
            deviceRegistry: ctx.devices,
            logger,
            registry: deps.registry,
            topics: { raw: ctx.publish.topics.raw },
            config,
            lateWindow: lateWindowOf(deps.store, config.pipeline.lateWindowMs),
            futureSkewMs: config.pipeline.futureSkewMs,
            checkResponses: config.env !== 'production',
          },
          table,
        ));
  const { app, openapi } = buildApp({
    ctx,
    table,
    limits,
    metrics: deps.registry,
    deviceRouter,
    staticDir: deps.staticDir,
    readiness: async () => {
      const checks: Record<string, boolean> = {};
      checks.store = await store.pool.query('SELECT 1').then(
        () => true,
        () => false,
      );
      checks.bus = deps.bus.healthy();
      if (deps.ready) checks.other = Boolean(await deps.ready());
      const detail = deps.readinessDetail?.();
      return { ready: Object.values(checks).every(Boolean), checks, ...(detail ? { detail } : {}) };
    },
  });
  const relay = ctx.publish.startRelay(config.rules.relayIntervalMs);
  return {
    app,
    routes: table,
    openapi,
    relayOutbox: (graceMs) => ctx.publish.relay(graceMs),
    close: () => relay.stop(),
  };
}

export type { DeviceRegistry };
