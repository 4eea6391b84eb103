/**
 * Where the database worker's code is. From the sources (tests, tsx): an entry that registers tsx
 * in the worker, then loads worker.ts. `npm start` runs a build (infra/build-stack.mjs) that
 * replaces this module: there the worker is plain JavaScript beside the bundle, with no loader.
 */
export const workerUrl = new URL('./worker-entry.mjs', import.meta.url);
