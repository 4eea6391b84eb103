export { type Check, createHealth, type Health } from './health.js';
export { createLogger, type Logger, silentLogger } from './logger.js';
export {
  Counter,
  counter,
  createRegistry,
  Gauge,
  gauge,
  Histogram,
  histogram,
  Registry,
  STAGE_BUCKETS,
} from './metrics.js';
export { startOpsServer } from './ops-server.js';
