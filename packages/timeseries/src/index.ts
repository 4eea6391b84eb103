/**
 * @telemetry/timeseries: the SQL of telemetry. The pipeline worker writes through write/*, the API
 * reads through query/*. Every function takes a pg pool or a client in a transaction, and every
 * query is scoped by tenant. Tables: packages/store/migrations/0002_telemetry*.sql.
 */
export { eventKey, type Queryable } from './db.js';
export { type JobFailure, type JobRun, type JobsReport, type WatchJobsOptions, watchJobs } from './jobs.js';
export {
  type ApplyPolicyOptions,
  applyTelemetryPolicies,
  DEFAULT_POLICY,
  type PolicyReport,
  policyFromSettings,
  type TelemetryPolicy,
} from './policies.js';
export { purgeTelemetry } from './purge.js';
export {
  assertBucketCount,
  type Bucket,
  isUtcZone,
  parseBucket,
  type RollupTable,
  sourceFor,
} from './query/buckets.js';
export {
  type ConflictsQuery,
  countConflicts,
  type EventConflict,
  type EventVersion,
  listConflicts,
} from './query/conflicts.js';
export { type DeviceLatest, latestValues } from './query/latest.js';
export {
  listRawEvents,
  type RawEvent,
  type RawEventsPage,
  type RawEventsQuery,
  type RawKind,
} from './query/raw-events.js';
export { AGGREGATIONS, type Aggregation, queryRollups, type RollupPoint, type RollupQuery } from './query/rollups.js';
export { type DeviceSummary, deviceSummary, type MetricSummary } from './query/summary.js';
export { type EventKindName, type StoredEvent, statePatches, type WriteResult, writeStored } from './write/batch.js';
export { type Claim, claimEvents } from './write/claim.js';
export { type ConflictCandidate, conflictKey, insertConflicts } from './write/conflicts.js';
export { contextKey, type DeviceContext } from './write/context.js';
export { loadLateWindows, tenantLateCutoffs } from './write/late-windows.js';
export {
  findStoredBySameMessage,
  insertSeen,
  loadSeen,
  pruneSeen,
  type SeenCandidate,
  type SeenMark,
} from './write/seen.js';
