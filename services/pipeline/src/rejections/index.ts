export { createRejections, type Rejections, type RejectionsDeps } from './consumer.js';
export { DEFAULT_LIMITS, DEFAULT_RETENTION_DAYS, type RejectionLimits } from './repository.js';
