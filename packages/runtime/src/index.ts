export { type BackoffOptions, backoffMs, sleep, sleepUnless } from './backoff.js';
export { type Loop, type LoopLogger, type LoopOptions, startLoop } from './loop.js';
export { type Closer, closeInOrder, type ServiceLogger, stopOnSignals } from './service.js';
export { createTtlCache, type TtlCache } from './ttl-cache.js';
