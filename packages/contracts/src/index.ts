export { decodeMessage, encodeMessage } from './codec.js';
export * from './device-payloads.js';
export * from './errors.js';
export * from './messages.js';
export * from './normalize.js';
export * from './topics.js';
