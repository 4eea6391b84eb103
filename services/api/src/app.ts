import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AppError, hasNul, jsonHazardMessage, scanJson } from '@telemetry/contracts';
import type { Registry } from '@telemetry/observability';
import cors from 'cors';
import express, { type Express, type RequestHandler, type Router } from 'express';
import helmet from 'helmet';
import swaggerUi from 'swagger-ui-express';
import type { ApiContext } from './context.js';
import { aliasesPage } from './http/aliases-page.js';
import { httpMetrics } from './http/metrics.js';
import { buildOpenApi, problemsPage } from './http/openapi.js';
import { notFoundHandler, problem, problemErrorHandler, sendProblem } from './http/problem.js';
import type { RateLimits } from './http/rate-limit.js';
import type { RouteTable } from './http/route-table.js';

export interface AppParts {
  ctx: ApiContext;
  table: RouteTable;
  limits: RateLimits;
  metrics: Registry;
  /** The device HTTP endpoints (services/api/src/device-routes), mounted before the JSON parser: they read raw bodies. */
  deviceRouter?: RequestHandler | Router;
  /** The dashboard build: served at /, with index.html for client-side routes. */
  staticDir?: string;
  readiness: () => Promise<{ ready: boolean; checks: Record<string, boolean>; detail?: Record<string, unknown> }>;
}

const DEVICE_PATHS = ['/api/handshake', '/api/device', '/api/iot'];

export function buildApp(parts: AppParts): { app: Express; openapi: ReturnType<typeof buildOpenApi> } {
  const { ctx, table, limits } = parts;
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  // req.ip, which the rate limits key on: the socket's address unless TRUST_PROXY names the proxies
  app.set('trust proxy', ctx.config.http.trustProxy);
  app.use(
    helmet({
      contentSecurityPolicy: {
        // swagger-ui (served from our own node_modules) needs inline styles; nothing from a CDN
        directives: {
          'style-src': ["'self'", "'unsafe-inline'"],
          'img-src': ["'self'", 'data:'],
          'upgrade-insecure-requests': null,
        },
      },
    }),
  );
  app.use(cors(corsOptions(ctx.config.http.corsOrigins)));
  // A NUL in a path or query value would reach PostgreSQL, which refuses U+0000 in text (#20)
  app.use((req, res, next) => {
    if (!/%00/i.test(req.url) && !hasNul(req.url)) return next();
    sendProblem(res, {
      ...problem('VALIDATION_FAILED', 'the URL contains a NUL character (%00), which no value may hold'),
      instance: req.path,
    });
  });
  app.use(httpMetrics(parts.metrics));

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const r = await parts.readiness();
    res.status(r.ready ? 200 : 503).json(r);
  });

  if (parts.deviceRouter) {
    app.use(DEVICE_PATHS, limits.device);
    app.use(parts.deviceRouter);
  }

  // Strict routing: the seeds' URLs end in "/" and may answer in their own shapes; canonical ones do not.
  const router = express.Router({ strict: true });
  router.use(
    express.json({
      limit: ctx.config.api.bodyLimitBytes,
      type: ['application/json', 'application/*+json'],
      // before parsing: no NUL (PostgreSQL refuses it) and no absurd nesting (#20)
      verify: (_req, _res, buf) => {
        const hazard = scanJson(buf);
        if (hazard) throw new AppError('VALIDATION_FAILED', `Request body refused: ${jsonHazardMessage(hazard)}`);
      },
    }),
  );
  // outside production every answer is checked against its route's response schema (#17)
  table.mount(router, ctx.authenticate, { checkResponses: ctx.config.env !== 'production' });
  app.use(router);

  const openapi = buildOpenApi(table.routes, {
    title: 'Telemetry API',
    version: '1.0.0',
    description:
      'REST API of the IoT telemetry platform. Errors are RFC 9457 problem+json. Canonical routes use camelCase; ' +
      'routes tagged compat-* keep the seeds’ URLs and field names; /docs/aliases lists them by seed with what differs.',
  });
  app.get('/openapi.json', (_req, res) => {
    res.json(openapi);
  });
  app.get('/docs/aliases', (_req, res) => {
    res.type('html').send(aliasesPage(table.routes));
  });
  app.get('/docs/problems', (_req, res) => {
    res.type('html').send(problemsPage());
  });
  // the dispenser seed's drf-yasg URL
  app.get(['/swagger', '/swagger/'], (_req, res) => {
    res.redirect(302, '/docs/');
  });
  app.use(
    '/docs',
    swaggerUi.serve,
    swaggerUi.setup(openapi, { customSiteTitle: 'Telemetry API', swaggerOptions: { url: '/openapi.json' } }),
  );

  app.use('/api', notFoundHandler);
  if (parts.staticDir && existsSync(parts.staticDir)) {
    const dir = resolve(parts.staticDir);
    app.use(express.static(dir, { index: 'index.html', maxAge: '1h' }));
    // client-side routes of the dashboard
    // Only browser navigation (Accept: text/html) gets the app's page: an API client calling a
    // URL that does not exist (a seed's /floors/ without its alias) gets a problem+json 404 (#19).
    app.get(/^\/(?!api\/|docs|openapi\.json|socket\.io).*/, (req, res, next) => {
      if (!(req.headers.accept ?? '').includes('text/html')) return next();
      res.sendFile(join(dir, 'index.html'));
    });
  }
  app.use(notFoundHandler);
  app.use(problemErrorHandler(ctx.logger));
  return { app, openapi };
}

/**
 * CORS_ORIGINS `*` means any page may call the API with a bearer token, never with the user's
 * cookies: credentials are dropped (and authenticate.ts lets no `*` origin write with cookies).
 * Reflecting every origin WITH credentials would let any site act as the signed-in user. Listed
 * origins get credentials (the dashboard on another host signs in with the session cookies).
 */
export function corsOptions(origins: string[]): cors.CorsOptions {
  if (origins.includes('*')) return { origin: '*', credentials: false, maxAge: 600 };
  return { origin: origins.length ? origins : false, credentials: true, maxAge: 600 };
}
