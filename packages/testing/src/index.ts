export { waitFor, type WaitForOptions } from './wait-for.js';
export { uniqueName } from './ids.js';
export { kafkaBrokers } from './kafka.js';
export { createTestStore } from './store.js';
