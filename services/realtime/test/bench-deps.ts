/**
 * What bench/src/realtime needs, re-exported from this package: bench/ has no package.json of its
 * own, so its bare imports would not resolve from there. Not a test file. It must not import
 * @telemetry/testing, which loads vitest (unusable outside a vitest run).
 */
export { type Bus, createBus, createMemoryBus } from '@telemetry/bus';
export { encodeMessage, TelemetryAcceptedV1, Topics } from '@telemetry/contracts';
export { createStore, IN_MEMORY, type Store } from '@telemetry/store';
export { io, type Socket } from 'socket.io-client';
export * from './fixtures.js';
