export { REALTIME_TOPICS } from './consumer.js';
export * from './protocol.js';
export {
  createRealtime,
  type Realtime,
  type RealtimeDeps,
  type RealtimeOptions,
  type RealtimeServer,
} from './realtime.js';
