import type { Batch, BatchHandler, Bus, IncomingMessage } from '@telemetry/bus';
import { canonicalJson, type DeadReason, fingerprint, isPoison, type TelemetryRawV1 } from '@telemetry/contracts';
import type { Logger } from '@telemetry/observability';
import type { Store } from '@telemetry/store';
import {
  type ConflictCandidate,
  claimEvents,
  conflictKey,
  contextKey,
  type DeviceContext,
  eventKey,
  insertConflicts,
  type SeenMark,
  type StoredEvent,
  writeStored,
} from '@telemetry/timeseries';
import type pg from 'pg';
import { hasDeadband, keepReading } from './deadband.js';
import { type Decoded, decodeRaw } from './decode.js';
import type { PipelineMetrics } from './metrics.js';
import { type DeadLetter, publishOutcome } from './publish.js';
import { classifyTime, type TimingRules } from './timing.js';

/** Where a test (or chaos drill) makes the worker fail, as a crash would, at a precise point. */
export interface PipelineFaults {
  /** Before the batch transaction starts. */
  beforeInsert?: (info: FaultInfo) => void | Promise<void>;
  /** Inside the transaction, after the seen marks, before raw rows and rollups: rolled back. */
  midBatch?: (info: FaultInfo) => void | Promise<void>;
  /** After COMMIT, before the accepted events are published and the offsets committed. */
  afterCommit?: (info: FaultInfo) => void | Promise<void>;
}

export interface FaultInfo {
  topic: string;
  /** Of the first batch of the group being handled (batches of several partitions share a transaction). */
  partition: number;
  /** Offsets of the messages being handled. */
  offsets: string[];
}

export interface PipelineTopics {
  raw: string;
  accepted: string;
  dead: string;
}

export interface BatchDeps {
  bus: Bus;
  store: Store;
  logger: Logger;
  metrics: PipelineMetrics;
  topics: PipelineTopics;
  rules: TimingRules;
  /** Each tenant's late window in ms (tenant settings, else rules.lateWindowMs); cached by the caller. */
  lateWindows: (tenantIds: readonly string[]) => Promise<Map<string, number>>;
  faults: PipelineFaults;
  now: () => number;
  /** Batch transactions at a time (group commit, see createBatchHandler); default 1. */
  transactions?: number;
  /** Messages at most in one group of batches; default no bound (the bus bounds each batch). */
  maxGroupMessages?: number;
}

/** A valid, timely event of the batch (its first copy in the batch). */
export interface Candidate {
  message: IncomingMessage;
  event: TelemetryRawV1;
  key: string;
  /** Time it is filed under. */
  ts: string;
  deviceTs: string | null;
  skewed: boolean;
  late: boolean;
  /** Of the payload as sent (eventFingerprint): tells a resend (same) from an id conflict (other). */
  fingerprint: string;
}

/**
 * What makes two copies of an event id the same event: kind, device time as sent (not the receive
 * time an edge substitutes when there is none, which differs on every resend), metrics and attributes.
 */
export function eventFingerprint(e: TelemetryRawV1): string {
  const deviceTs = e.trace.device !== undefined ? e.ts : null;
  return fingerprint(canonicalJson([e.kind, deviceTs, e.metrics, e.attributes]));
}

interface Outcome {
  fresh: Candidate[];
  republish: Candidate[];
  dead: DeadLetter[];
  contexts: Map<string, DeviceContext>;
  duplicatesInBatch: number;
  duplicatesStored: number;
  conflicts: number;
  suppressed: number;
}

/**
 * The "store" group's handler: validate, dedupe, ONE transaction (seen marks + raw rows + rollups +
 * device state), then publish accepted events and dead letters. Resolving lets the bus commit the
 * offsets; throwing makes it deliver the batch again, which is safe at every point:
 *  - before COMMIT nothing is stored;
 *  - after COMMIT the events are duplicates, and those stored by the very message being redelivered
 *    (same partition and offset in telemetry_seen) get their accepted event published again.
 * A batch failing on one message's content (poison) is split to dead-letter that message alone.
 *
 * Group commit (#23): the bus hands each partition's batch on its own, and they would queue for the
 * database one transaction each (the embedded store has one session). Instead at most
 * `deps.transactions` transactions run at a time, and whatever batches arrived meanwhile, of any
 * partition, go into the next one together (up to `deps.maxGroupMessages`). No timer: an idle
 * worker starts a batch at once; under load the transactions grow instead of queueing.
 */
export function createBatchHandler(deps: BatchDeps): BatchHandler {
  const limit = Math.max(1, deps.transactions ?? 1);
  const maxMessages = Math.max(1, deps.maxGroupMessages ?? Number.POSITIVE_INFINITY);
  const queue: { batch: Batch; resolve: () => void; reject: (err: unknown) => void }[] = [];
  let running = 0;
  const pump = (): void => {
    while (running < limit && queue.length > 0) {
      const group = [queue.shift() as (typeof queue)[number]];
      let size = group[0]?.batch.messages.length ?? 0;
      while (queue.length > 0 && size + (queue[0]?.batch.messages.length ?? 0) <= maxMessages) {
        const next = queue.shift() as (typeof queue)[number];
        size += next.batch.messages.length;
        group.push(next);
      }
      running++;
      handleGroup(
        deps,
        group.map((p) => p.batch),
      )
        .then(
          () => {
            for (const p of group) p.resolve();
          },
          (err: unknown) => {
            for (const p of group) p.reject(err);
          },
        )
        .finally(() => {
          running--;
          pump();
        });
    }
  };
  return (batch: Batch) =>
    new Promise<void>((resolve, reject) => {
      queue.push({ batch, resolve, reject });
      pump();
    });
}

/** One transaction for the batches of a group; a failing one fails them all (each is delivered again). */
async function handleGroup(deps: BatchDeps, batches: readonly Batch[]): Promise<void> {
  const { metrics } = deps;
  const started = performance.now();
  const messages = batches.length === 1 ? (batches[0] as Batch).messages : batches.flatMap((b) => b.messages);
  metrics.eventsIn.inc(messages.length);
  metrics.batchSize.observe(messages.length);
  for (const batch of batches) {
    const newest = batch.messages.at(-1);
    if (newest) {
      metrics.lag.set(
        { topic: batch.topic, partition: String(batch.partition) },
        Math.max(0, (Date.now() - newest.timestamp) / 1000),
      );
    }
  }
  const first = batches[0] as Batch;
  try {
    await handleMessages(deps, first.topic, first.partition, messages);
  } catch (err) {
    if (!isPoison(err)) {
      metrics.failedBatches.inc({ kind: 'retry' });
      throw err;
    }
    metrics.failedBatches.inc({ kind: 'poison' });
    deps.logger.warn({ err, topic: first.topic, partition: first.partition }, 'pipeline: poison batch, splitting it');
    for (const batch of batches) await splitPoison(deps, batch);
  }
  metrics.batchSeconds.observe((performance.now() - started) / 1000);
}

/** One message at a time, so only the message the database refuses is dead-lettered. */
async function splitPoison(deps: BatchDeps, batch: Batch): Promise<void> {
  for (const message of batch.messages) {
    try {
      await handleMessages(deps, batch.topic, batch.partition, [message]);
    } catch (err) {
      if (!isPoison(err)) throw err;
      const dead: DeadLetter = {
        message,
        reason: 'schema_invalid',
        detail: `refused by the database: ${(err as Error).message}`,
        ...idsOf(message),
      };
      await publishOutcome(deps, { accepted: [], dead: [dead] });
      deps.metrics.dead.inc({ reason: dead.reason });
    }
  }
}

async function handleMessages(deps: BatchDeps, topic: string, partition: number, messages: IncomingMessage[]) {
  const decoded = messages.map((message) => ({ message, decoded: decodeRaw(message) }));
  const tenants = new Set<string>();
  for (const d of decoded) if (d.decoded.ok) tenants.add(d.decoded.event.tenantId);
  const windows = await deps.lateWindows([...tenants]);
  const { candidates, later, dead, duplicatesInBatch } = screen(deps, decoded, windows);
  const info: FaultInfo = { topic, partition, offsets: messages.map((m) => m.offset) };
  await deps.faults.beforeInsert?.(info);

  const outcome: Outcome =
    candidates.length === 0
      ? {
          fresh: [],
          republish: [],
          dead,
          contexts: new Map(),
          duplicatesInBatch,
          duplicatesStored: 0,
          conflicts: 0,
          suppressed: 0,
        }
      : await deps.store.withTransaction((client) =>
          store(deps, client, candidates, later, dead, duplicatesInBatch, info),
        );
  const storedAt = Date.now();
  await deps.faults.afterCommit?.(info);

  const accepted = [...outcome.fresh, ...outcome.republish].map((c) => ({
    candidate: c,
    assetId: outcome.contexts.get(contextKey(c.event.tenantId, c.event.deviceId))?.assetId ?? null,
  }));
  await publishOutcome(deps, { accepted, dead: outcome.dead, storedAt });
  record(deps.metrics, outcome, storedAt);
}

/**
 * Time rules (the tenant's late window), in-batch dedupe: the first copy in partition order wins;
 * a later copy with the same payload is a duplicate, one with another payload is judged as a
 * possible id conflict in the transaction (`later`).
 */
function screen(
  deps: BatchDeps,
  decoded: readonly { message: IncomingMessage; decoded: Decoded }[],
  windows: ReadonlyMap<string, number>,
) {
  const now = deps.now();
  const dead: DeadLetter[] = [];
  const firsts = new Map<string, Candidate>();
  const later: Candidate[] = [];
  let duplicatesInBatch = 0;
  for (const { message, decoded: d } of decoded) {
    if (!d.ok) {
      dead.push({ message, reason: d.reason, detail: d.detail, ...pick(d) });
      continue;
    }
    const e = d.event;
    const lateWindowMs = windows.get(e.tenantId) ?? deps.rules.lateWindowMs;
    const timing = classifyTime(e.ts, e.receivedAt, now, { ...deps.rules, lateWindowMs });
    if (timing.kind === 'too_late') {
      const detail = `device time ${e.ts} is older than the late window (${lateWindowMs} ms)`;
      dead.push({
        message,
        reason: 'too_late',
        detail,
        tenantId: e.tenantId,
        deviceId: e.deviceId,
        eventId: e.eventId,
      });
      continue;
    }
    const key = eventKey(e.tenantId, e.deviceId, e.eventId);
    const candidate: Candidate = {
      message,
      event: e,
      key,
      ts: timing.ts,
      deviceTs: timing.kind === 'skewed' ? timing.deviceTs : null,
      skewed: timing.kind === 'skewed',
      late: false,
      fingerprint: eventFingerprint(e),
    };
    const first = firsts.get(key);
    if (!first) firsts.set(key, candidate);
    else if (first.fingerprint === candidate.fingerprint) duplicatesInBatch++;
    else later.push(candidate);
  }
  return { candidates: [...firsts.values()], later, dead, duplicatesInBatch };
}

/** The batch transaction. */
async function store(
  deps: BatchDeps,
  client: pg.PoolClient,
  candidates: Candidate[],
  later: Candidate[],
  dead: DeadLetter[],
  duplicatesInBatch: number,
  info: FaultInfo,
): Promise<Outcome> {
  // device contexts, seen marks and the marks already there: one statement (#23)
  const claim = await claimEvents(
    client,
    candidates.map((c) => ({
      tenantId: c.event.tenantId,
      deviceId: c.event.deviceId,
      eventId: c.event.eventId,
      ts: c.ts,
      receivedAt: c.event.receivedAt,
      srcPartition: c.message.partition,
      srcOffset: c.message.offset,
      late: false,
      fingerprint: c.fingerprint,
    })),
  );
  const contexts = claim.contexts;

  // the same rule the claim applied in SQL (a registered device of another tenant is not marked)
  const belongs = (c: Candidate): boolean => {
    const ctx = contexts.get(contextKey(c.event.tenantId, c.event.deviceId));
    if (ctx?.known && ctx.deviceTenantId !== c.event.tenantId) {
      const detail = ctx.deviceTenantId
        ? 'device is registered to another tenant'
        : 'device is not assigned to a tenant';
      dead.push({ message: c.message, reason: 'unknown_device', detail, ...pick(c.event) });
      return false;
    }
    return true;
  };
  const accepted = candidates.filter(belongs);
  const laterCopies = later.filter(belongs);

  const fresh = accepted.filter((c) => claim.fresh.has(c.key));
  const seenBefore = [...accepted.filter((c) => !claim.fresh.has(c.key)), ...laterCopies];
  // a later copy of an event first seen in this very batch meets the mark its first copy just wrote
  const firsts = new Map(fresh.map((c) => [c.key, c]));
  const marks = new Map<string, SeenMark>();
  for (const c of seenBefore) {
    const first = firsts.get(c.key);
    const mark =
      claim.marks.get(c.key) ??
      (first && {
        fingerprint: first.fingerprint,
        srcPartition: first.message.partition,
        srcOffset: first.message.offset,
        late: false,
      });
    if (mark) marks.set(c.key, mark);
  }
  const duplicates: Candidate[] = [];
  const conflicting: Candidate[] = [];
  for (const c of seenBefore) {
    const mark = marks.get(c.key);
    // no fingerprint: a mark from before fingerprints existed, judged as before (a duplicate)
    if (!mark || mark.fingerprint === null || mark.fingerprint === c.fingerprint) duplicates.push(c);
    else conflicting.push(c);
  }
  // the very message that stored an event, delivered again: its accepted event is published again
  const republish = duplicates
    .filter((c) => {
      const mark = marks.get(c.key);
      return mark && mark.srcPartition === c.message.partition && mark.srcOffset === c.message.offset;
    })
    .map((c) => ({ ...c, late: marks.get(c.key)?.late ?? false }));
  await keepConflicts(client, conflicting, marks, dead);

  markLate(fresh, contexts);
  const lateOnes = fresh.filter((c) => c.late);
  if (lateOnes.length > 0) {
    await client.query(
      `UPDATE telemetry_seen s SET late = true FROM unnest($1::uuid[], $2::text[], $3::text[]) AS k(t, d, e)
       WHERE s.tenant_id = k.t AND s.device_id = k.d AND s.event_id = k.e`,
      [
        lateOnes.map((c) => c.event.tenantId),
        lateOnes.map((c) => c.event.deviceId),
        lateOnes.map((c) => c.event.eventId),
      ],
    );
  }

  const { events, refs, suppressed } = applyDeadbands(fresh, contexts);
  await deps.faults.midBatch?.(info);
  await writeStored(client, events, refs);
  return {
    fresh,
    republish,
    dead,
    contexts,
    duplicatesInBatch,
    duplicatesStored: duplicates.length,
    conflicts: conflicting.length,
    suppressed,
  };
}

/**
 * Same id, another payload: each version kept once in telemetry_conflicts (not stored as the event,
 * not in the rollups) and dead-lettered `id_conflict`, so it is counted per device and shown with
 * the rejections. A redelivery of the message that found it publishes its dead letter again.
 */
async function keepConflicts(
  client: pg.PoolClient,
  conflicting: readonly Candidate[],
  marks: ReadonlyMap<string, { fingerprint: string | null }>,
  dead: DeadLetter[],
): Promise<void> {
  if (conflicting.length === 0) return;
  const rows: ConflictCandidate[] = conflicting.map((c) => ({
    tenantId: c.event.tenantId,
    deviceId: c.event.deviceId,
    eventId: c.event.eventId,
    fingerprint: c.fingerprint,
    storedFingerprint: marks.get(c.key)?.fingerprint ?? null,
    kind: c.event.kind,
    source: c.event.source,
    deviceTs: c.event.trace.device !== undefined ? c.event.ts : null,
    ts: c.ts,
    receivedAt: c.event.receivedAt,
    metrics: c.event.metrics,
    attributes: c.event.attributes,
    srcPartition: c.message.partition,
    srcOffset: c.message.offset,
  }));
  const ours = await insertConflicts(client, rows);
  const reported = new Set<string>();
  for (const [i, row] of rows.entries()) {
    const k = conflictKey(row);
    if (!ours.has(k) || reported.has(k)) continue;
    reported.add(k);
    const c = conflicting[i] as Candidate;
    dead.push({
      message: c.message,
      reason: 'id_conflict',
      detail: `event id ${c.event.eventId} is already stored with another payload; this version (ts ${c.event.ts}) is kept apart as a conflict`,
      ...pick(c.event),
    });
  }
}

/** Late: older than the newest event already stored or stored earlier in this batch for the device. */
function markLate(fresh: Candidate[], contexts: Map<string, DeviceContext>): void {
  const newest = new Map<string, number>();
  for (const c of fresh) {
    const k = contextKey(c.event.tenantId, c.event.deviceId);
    const before = newest.get(k) ?? contexts.get(k)?.lastTs?.getTime() ?? Number.NEGATIVE_INFINITY;
    const t = Date.parse(c.ts);
    c.late = t < before;
    newest.set(k, Math.max(before, t));
  }
}

function applyDeadbands(fresh: Candidate[], contexts: Map<string, DeviceContext>) {
  const refs = new Map<string, Record<string, number>>();
  let suppressed = 0;
  const events: StoredEvent[] = fresh.map((c) => {
    const k = contextKey(c.event.tenantId, c.event.deviceId);
    const ctx = contexts.get(k);
    let keepRaw = true;
    if (c.event.kind === 'telemetry' && ctx && hasDeadband(ctx.deadband)) {
      const ref = refs.get(k) ?? { ...ctx.deadbandRef };
      keepRaw = keepReading(c.event.metrics, ctx.deadband, ref);
      if (keepRaw) Object.assign(ref, c.event.metrics);
      else suppressed++;
      refs.set(k, ref);
    }
    return {
      tenantId: c.event.tenantId,
      deviceId: c.event.deviceId,
      eventId: c.event.eventId,
      ts: c.ts,
      receivedAt: c.event.receivedAt,
      kind: c.event.kind,
      source: c.event.source,
      metrics: c.event.metrics,
      attributes: c.event.attributes,
      skewed: c.skewed,
      deviceTs: c.deviceTs,
      keepRaw,
    };
  });
  return { events, refs, suppressed };
}

function record(metrics: PipelineMetrics, o: Outcome, storedAt: number): void {
  metrics.stored.inc(o.fresh.length);
  if (o.duplicatesInBatch) metrics.duplicates.inc({ where: 'batch' }, o.duplicatesInBatch);
  if (o.duplicatesStored) metrics.duplicates.inc({ where: 'store' }, o.duplicatesStored);
  if (o.conflicts) metrics.conflicts.inc(o.conflicts);
  if (o.republish.length) metrics.republished.inc(o.republish.length);
  if (o.suppressed) metrics.suppressed.inc(o.suppressed);
  for (const d of o.dead) metrics.dead.inc({ reason: d.reason });
  let late = 0;
  let skewed = 0;
  const stages = {
    bus: metrics.stageLatency.labels({ stage: 'bus_to_stored' }),
    edgeToBus: metrics.stageLatency.labels({ stage: 'edge_to_bus' }),
    edge: metrics.stageLatency.labels({ stage: 'edge_to_stored' }),
  };
  for (const c of o.fresh) {
    if (c.late) late++;
    if (c.skewed) skewed++;
    const busAt = c.event.trace.bus ?? c.message.timestamp;
    metrics.storeLatency.observe(Math.max(0, storedAt - busAt) / 1000);
    stages.bus.observe(Math.max(0, storedAt - busAt) / 1000);
    const edgeAt = c.event.trace.gateway;
    if (edgeAt !== undefined) {
      stages.edgeToBus.observe(Math.max(0, busAt - edgeAt) / 1000);
      stages.edge.observe(Math.max(0, storedAt - edgeAt) / 1000);
    }
  }
  if (late) metrics.late.inc(late);
  if (skewed) metrics.skewed.inc(skewed);
}

function pick(x: { tenantId: string | null; deviceId: string | null; eventId: string | null }) {
  return { tenantId: x.tenantId, deviceId: x.deviceId, eventId: x.eventId };
}

function idsOf(message: IncomingMessage): { tenantId: string | null; deviceId: string | null; eventId: string | null } {
  const d = decodeRaw(message);
  return d.ok ? pick(d.event) : pick(d);
}

export type { DeadReason };
