export { createGateway, type Gateway, type GatewayDeps, type GatewayOptions, type GatewayTopics } from './gateway.js';
export { createGatewayMetrics, type GatewayMetrics } from './metrics.js';
export { gatewayOptions } from './options.js';
