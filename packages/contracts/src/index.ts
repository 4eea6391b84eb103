export * from './topics.js';
export * from './errors.js';
export * from './messages.js';
export * from './device-payloads.js';
export * from './normalize.js';
export { encodeMessage, decodeMessage } from './codec.js';
