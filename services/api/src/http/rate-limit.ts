import type { Request, RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import { problem, sendProblem } from './problem.js';

export interface RateLimits {
  /**
   * Sign-in attempts (login, token refresh, registration by invite): per username and client IP,
   * so people behind one NAT or proxy do not lock each other out, with a per-IP ceiling of ten
   * times that so one client cannot spray passwords over many usernames.
   */
  login: RequestHandler;
  /** Password changes, per client IP: the current password must not be guessable with a stolen token. */
  password: RequestHandler;
  /** Device HTTP endpoints, per client IP, in front of the device router's own per-device limit. */
  device: RequestHandler;
}

/**
 * In-memory fixed windows (express-rate-limit's MemoryStore): per process, so N API replicas
 * allow N× the budget. A shared (Redis) store is the next step for a distributed deployment.
 * The client IP is `req.ip`: behind a reverse proxy set TRUST_PROXY, or every client is the proxy.
 */
export function createRateLimits(opts: { loginPerMinute: number; devicePerMinute: number }): RateLimits {
  const make = (limit: number, what: string, keyGenerator?: (req: Request) => string): RequestHandler =>
    rateLimit({
      windowMs: 60_000,
      limit,
      standardHeaders: 'draft-7',
      legacyHeaders: false,
      ...(keyGenerator ? { keyGenerator } : {}),
      handler: (_req, res, _next, options) => {
        res.setHeader('Retry-After', String(Math.ceil(options.windowMs / 1000)));
        sendProblem(res, problem('RATE_LIMITED', `Too many ${what}: at most ${limit} a minute, try again later`));
      },
    });
  // the body is parsed before route middleware (app.ts), so the username is there
  const byUserAndIp = (req: Request) => {
    const body = req.body as { username?: unknown } | undefined;
    const user = typeof body?.username === 'string' ? body.username.toLowerCase().slice(0, 64) : '';
    return `${ipKeyGenerator(req.ip ?? '')}|${user}`;
  };
  const perIp = make(opts.loginPerMinute * 10, 'sign-in attempts from this address');
  const perUser = make(opts.loginPerMinute, 'sign-in attempts', byUserAndIp);
  return {
    login: (req, res, next) => {
      void perIp(req, res, (err?: unknown) => (err ? next(err) : void perUser(req, res, next)));
    },
    password: make(opts.loginPerMinute, 'password change attempts'),
    device: make(opts.devicePerMinute, 'device requests'),
  };
}
