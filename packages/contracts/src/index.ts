export { decodeMessage, encodeMessage } from './codec.js';
export * from './decode-payload.js';
export * from './decoder.js';
export * from './device-payloads.js';
export * from './device-time.js';
export * from './errors.js';
export * from './event-id.js';
export * from './json-guard.js';
export * from './lateness.js';
export * from './messages.js';
export {
  fromLegacyForm,
  fromMqtt,
  fromOzoneEvent,
  fromReading,
  type NormalizedEvent,
} from './normalize.js';
export * from './topics.js';
