export { type BackoffOptions, backoffMs, sleep, sleepUnless } from './backoff.js';
export { type Loop, type LoopLogger, type LoopOptions, type NextTick, startLoop } from './loop.js';
export { createRateLimiter, type RateLimiter, type RateLimiterOptions } from './rate-limit.js';
export { type Closer, closeInOrder, type ServiceLogger, stopOnSignals } from './service.js';
export { createTtlCache, type TtlCache } from './ttl-cache.js';
