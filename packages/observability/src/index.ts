export { createLogger, silentLogger, type Logger } from './logger.js';
export { createRegistry, counter, gauge, histogram, STAGE_BUCKETS, Registry, Counter, Gauge, Histogram } from './metrics.js';
export { createHealth, type Health, type Check } from './health.js';
export { startOpsServer } from './ops-server.js';
