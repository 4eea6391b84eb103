import { hasPermission, type Permission, type Principal } from '@telemetry/auth';
import { AppError } from '@telemetry/contracts';
import type { NextFunction, Request, RequestHandler, Response, Router } from 'express';
import type { z } from 'zod';
import { problem, sendProblem } from './problem.js';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/**
 * Who may call a route: `public` (nobody signed in needed), `optional` (a token is used when
 * present), `user` (any signed-in user), a permission of @telemetry/auth, `platform`
 * (a platform admin: admin without tenant), or `device` (a device token, which the device
 * endpoint checks itself: no user is authenticated).
 */
export type Access = 'public' | 'optional' | 'user' | 'platform' | 'device' | Permission;

type Schema = z.ZodType;
type Out<T> = T extends Schema ? z.output<T> : Record<string, never>;

export interface RouteContext<P, Q, B> {
  req: Request;
  res: Response;
  params: Out<P>;
  query: Out<Q>;
  body: Out<B>;
  /** The caller when signed in (always set unless the route is public/optional). */
  auth: Principal | undefined;
  /** The caller; throws UNAUTHENTICATED on a public route without a token. */
  principal: Principal;
}

export interface RouteSpec<
  P extends Schema | undefined = undefined,
  Q extends Schema | undefined = undefined,
  B extends Schema | undefined = undefined,
> {
  method: Method;
  /** Express path; `:name` parameters. Canonical routes have no trailing slash; seed aliases keep theirs. */
  path: string;
  summary: string;
  description?: string;
  tags: string[];
  access: Access;
  /** Reachable while the user must still change the password / complete the profile. */
  duringSetup?: boolean;
  params?: P;
  query?: Q;
  body?: B;
  /** A valid body: shown in the OpenAPI document and used by the tests that walk every route. */
  example?: B extends Schema ? z.input<B> : never;
  /** Success status (default 200; 201 for creations, 204 for no content). */
  status?: number;
  /**
   * What a success answers: JSON (default), a CSV stream, bytes (`binary`: application/octet-stream,
   * with `Range`: 206 for a part), or nothing.
   */
  produces?: 'json' | 'csv' | 'binary' | 'none';
  /**
   * The JSON of a success (a schema of @telemetry/api-contract, which the dashboard types come
   * from): in the OpenAPI document, and checked against every answer outside production.
   */
  response?: Schema;
  /**
   * The success as a stream instead, when the request's Accept asks for `contentType` (NDJSON
   * progress): each line one of `line`. In the OpenAPI document beside `response`.
   */
  stream?: { contentType: string; line: Schema };
  /**
   * The device endpoints (src/device-routes): the handler reads the raw body itself, so a bad
   * payload is dead-lettered with its original bytes; `body` only documents it. These routes are
   * mounted by their own router, before the JSON parser (`mountRoutes`), not by `mount`.
   */
  raw?: { limit: string; contentType?: string };
  /** Extra middleware run before validation (rate limits). */
  before?: RequestHandler[];
  /** The canonical route this one mirrors (seed compatibility aliases). */
  aliasOf?: string;
  deprecated?: boolean;
  handler: (ctx: RouteContext<P, Q, B>) => unknown | Promise<unknown>;
}

// biome-ignore lint/suspicious/noExplicitAny: the table holds routes of every shape
export type AnyRoute = RouteSpec<any, any, any>;

/** Authenticates a request from its bearer token or cookie; undefined when it carries none. */
export interface Authenticate {
  (req: Request): Promise<Principal | undefined>;
  /**
   * The token alone, without the database: throws when it is bad, says whether there is one.
   * Lets a request be validated before its session check queues on the database (#15).
   */
  precheck(req: Request): boolean;
}

/**
 * Every route of the API, with its schemas: mounted on express AND turned into the OpenAPI
 * document from the same objects, so the docs cannot drift from what is validated.
 */
export class RouteTable {
  readonly routes: AnyRoute[] = [];

  add<
    P extends Schema | undefined = undefined,
    Q extends Schema | undefined = undefined,
    B extends Schema | undefined = undefined,
  >(spec: RouteSpec<P, Q, B>): void {
    const clash = this.routes.find((r) => r.method === spec.method && r.path === spec.path);
    if (clash) throw new Error(`route ${spec.method.toUpperCase()} ${spec.path} is defined twice`);
    this.routes.push(spec as AnyRoute);
  }

  /** Every route but the raw-body ones (see `raw`). */
  mount(router: Router, authenticate: Authenticate, opts: MountOptions = {}): void {
    mountRoutes(
      this.routes.filter((r) => !r.raw),
      router,
      authenticate,
      opts,
    );
  }
}

export interface MountOptions {
  /**
   * Every JSON answer is parsed with its route's `response` schema and a mismatch is a 500
   * (development and test; see CONTRIBUTING.md: production skips the cost).
   */
  checkResponses?: boolean;
}

export function mountRoutes(routes: AnyRoute[], router: Router, authenticate: Authenticate, opts: MountOptions): void {
  for (const route of routes) {
    const check = opts.checkResponses ? route.response : undefined;
    router[route.method](route.path, ...(route.before ?? []), handlerFor(route, authenticate, check));
  }
}

/**
 * The wire JSON (Dates become strings, as `res.json` sends them) against the route's schema: the
 * mismatch, when there is one. Only outside production, so the 500 may say what drifted.
 */
function responseDrift(route: AnyRoute, schema: Schema, result: unknown): string | undefined {
  const parsed = schema.safeParse(JSON.parse(JSON.stringify(result)));
  if (parsed.success) return undefined;
  const where = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
  return `${route.method.toUpperCase()} ${route.path} answered off its response schema: ${where}`;
}

function handlerFor(route: AnyRoute, authenticate: Authenticate, check: Schema | undefined): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      // Token, then input, then the session: no database work for a request that cannot succeed
      // (on the embedded default the one database session is shared with the whole pipeline).
      // A device route's Bearer is a device token: its edge checks it, no user is authenticated.
      const hasToken = route.access !== 'public' && route.access !== 'device' && authenticate.precheck(req);
      if (!hasToken) authorize(route, undefined);
      const params = parse(route.params, req.params, 'params');
      const query = parse(route.query, req.query, 'query');
      const body = route.raw ? req.body : parse(route.body, req.body ?? {}, 'body');
      const auth = hasToken ? await authenticate(req) : undefined;
      // without a token the route was authorized above, before the input
      if (hasToken) authorize(route, auth);
      const ctx: RouteContext<unknown, unknown, unknown> = {
        req,
        res,
        params,
        query,
        body,
        auth,
        get principal(): Principal {
          if (!auth) throw new AppError('UNAUTHENTICATED', 'Sign in first: send Authorization: Bearer <access token>');
          return auth;
        },
      } as RouteContext<unknown, unknown, unknown>;
      const result = await route.handler(ctx as never);
      if (res.headersSent || res.writableEnded) return;
      const status = route.status ?? 200;
      if (status === 204 || result === undefined) {
        res.status(status === 200 && result === undefined ? 204 : status).end();
        return;
      }
      const drift = check && responseDrift(route, check, result);
      if (drift) return sendProblem(res, { ...problem('INTERNAL', drift), instance: req.path });
      res.status(status).json(result);
    } catch (err) {
      next(err);
    }
  };
}

export const SETUP_PROBLEM_TYPE = '/docs/problems#setup-required';

function authorize(route: AnyRoute, auth: Principal | undefined): void {
  if (route.access === 'device') return;
  if (route.access === 'public' || route.access === 'optional') {
    if (auth?.setupRequired && !route.duringSetup && route.access === 'optional') setupRequired();
    return;
  }
  if (!auth) throw new AppError('UNAUTHENTICATED', 'Sign in first: send Authorization: Bearer <access token>');
  if (auth.setupRequired && !route.duringSetup) setupRequired();
  if (route.access === 'user') return;
  if (route.access === 'platform') {
    if (auth.role === 'admin' && auth.tenantId === null) return;
    throw new AppError('FORBIDDEN', 'Only a platform admin may do this');
  }
  if (!hasPermission(auth.role, route.access)) {
    throw new AppError('FORBIDDEN', `Your role (${auth.role}) may not do this (needs ${route.access})`);
  }
}

function setupRequired(): never {
  throw new AppError(
    'FORBIDDEN',
    'First sign-in: change your password (POST /api/auth/password) and complete your profile (PUT /api/auth/profile) before anything else',
    { details: { problemType: SETUP_PROBLEM_TYPE, action: 'complete-setup' } },
  );
}

function parse(schema: Schema | undefined, value: unknown, where: 'params' | 'query' | 'body'): never {
  if (!schema) return {} as never;
  const result = schema.safeParse(value);
  if (result.success) return result.data as never;
  const errors = result.error.issues.map((i) => ({
    path: [where, ...i.path.map(String)].join('.'),
    message: i.message,
    code: i.code,
  }));
  throw new AppError(
    'VALIDATION_FAILED',
    `Invalid ${where}: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`,
    {
      details: { errors },
    },
  );
}
