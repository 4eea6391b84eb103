import type { RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import { problem, sendProblem } from './problem.js';

export interface RateLimits {
  /** Sign-in attempts (login, token refresh, registration by invite), per client IP. */
  login: RequestHandler;
  /** Device HTTP endpoints, per client IP, in front of the device router's own per-device limit. */
  device: RequestHandler;
}

/**
 * In-memory fixed windows (express-rate-limit's MemoryStore): per process, so N API replicas
 * allow N× the budget. A shared (Redis) store is the next step for a distributed deployment.
 */
export function createRateLimits(opts: { loginPerMinute: number; devicePerMinute: number }): RateLimits {
  const make = (limit: number, what: string): RequestHandler =>
    rateLimit({
      windowMs: 60_000,
      limit,
      standardHeaders: 'draft-7',
      legacyHeaders: false,
      handler: (_req, res, _next, options) => {
        res.setHeader('Retry-After', String(Math.ceil(options.windowMs / 1000)));
        sendProblem(res, problem('RATE_LIMITED', `Too many ${what}: at most ${limit} a minute, try again later`));
      },
    });
  return {
    login: make(opts.loginPerMinute, 'sign-in attempts'),
    device: make(opts.devicePerMinute, 'device requests'),
  };
}
