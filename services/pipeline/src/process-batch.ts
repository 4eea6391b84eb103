import type { Batch, BatchHandler, Bus, IncomingMessage } from '@telemetry/bus';
import type { DeadReason, TelemetryRawV1 } from '@telemetry/contracts';
import { isPoison } from '@telemetry/contracts';
import type { Logger } from '@telemetry/observability';
import type { Store } from '@telemetry/store';
import {
  contextKey,
  type DeviceContext,
  eventKey,
  findStoredBySameMessage,
  insertSeen,
  loadDeviceContexts,
  type StoredEvent,
  writeStored,
} from '@telemetry/timeseries';
import type pg from 'pg';
import { hasDeadband, keepReading } from './deadband.js';
import { decodeRaw } from './decode.js';
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
  faults: PipelineFaults;
  now: () => number;
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
}

interface Outcome {
  fresh: Candidate[];
  republish: Candidate[];
  dead: DeadLetter[];
  contexts: Map<string, DeviceContext>;
  duplicatesInBatch: number;
  duplicatesStored: number;
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
 */
export function createBatchHandler(deps: BatchDeps): BatchHandler {
  const { metrics } = deps;
  return async (batch: Batch) => {
    const started = performance.now();
    metrics.eventsIn.inc(batch.messages.length);
    metrics.batchSize.observe(batch.messages.length);
    const newest = batch.messages.at(-1);
    if (newest) {
      metrics.lag.set(
        { topic: batch.topic, partition: String(batch.partition) },
        Math.max(0, (Date.now() - newest.timestamp) / 1000),
      );
    }
    try {
      await handleMessages(deps, batch.topic, batch.partition, batch.messages);
    } catch (err) {
      if (!isPoison(err)) {
        metrics.failedBatches.inc({ kind: 'retry' });
        throw err;
      }
      metrics.failedBatches.inc({ kind: 'poison' });
      deps.logger.warn({ err, topic: batch.topic, partition: batch.partition }, 'pipeline: poison batch, splitting it');
      await splitPoison(deps, batch);
    }
    metrics.batchSeconds.observe((performance.now() - started) / 1000);
  };
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
  const { candidates, dead, duplicatesInBatch } = screen(deps, messages);
  const info: FaultInfo = { topic, partition, offsets: messages.map((m) => m.offset) };
  await deps.faults.beforeInsert?.(info);

  const outcome: Outcome =
    candidates.length === 0
      ? { fresh: [], republish: [], dead, contexts: new Map(), duplicatesInBatch, duplicatesStored: 0, suppressed: 0 }
      : await deps.store.withTransaction((client) => store(deps, client, candidates, dead, duplicatesInBatch, info));
  const storedAt = Date.now();
  await deps.faults.afterCommit?.(info);

  const accepted = [...outcome.fresh, ...outcome.republish].map((c) => ({
    candidate: c,
    assetId: outcome.contexts.get(contextKey(c.event.tenantId, c.event.deviceId))?.assetId ?? null,
  }));
  await publishOutcome(deps, { accepted, dead: outcome.dead, storedAt });
  record(deps.metrics, outcome, storedAt);
}

/** Decode, time rules, in-batch dedupe (the first copy in partition order wins). */
function screen(deps: BatchDeps, messages: IncomingMessage[]) {
  const now = deps.now();
  const dead: DeadLetter[] = [];
  const firsts = new Map<string, Candidate>();
  let duplicatesInBatch = 0;
  for (const message of messages) {
    const decoded = decodeRaw(message);
    if (!decoded.ok) {
      dead.push({ message, reason: decoded.reason, detail: decoded.detail, ...pick(decoded) });
      continue;
    }
    const e = decoded.event;
    const timing = classifyTime(e.ts, e.receivedAt, now, deps.rules);
    if (timing.kind === 'too_late') {
      const detail = `device time ${e.ts} is older than the late window (${deps.rules.lateWindowMs} ms)`;
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
    if (firsts.has(key)) {
      duplicatesInBatch++;
      continue;
    }
    firsts.set(key, {
      message,
      event: e,
      key,
      ts: timing.ts,
      deviceTs: timing.kind === 'skewed' ? timing.deviceTs : null,
      skewed: timing.kind === 'skewed',
      late: false,
    });
  }
  return { candidates: [...firsts.values()], dead, duplicatesInBatch };
}

/** The batch transaction. */
async function store(
  deps: BatchDeps,
  client: pg.PoolClient,
  candidates: Candidate[],
  dead: DeadLetter[],
  duplicatesInBatch: number,
  info: FaultInfo,
): Promise<Outcome> {
  const devices = new Map<string, { tenantId: string; deviceId: string }>();
  for (const c of candidates) devices.set(contextKey(c.event.tenantId, c.event.deviceId), c.event);
  const contexts = await loadDeviceContexts(client, [...devices.values()]);

  const accepted: Candidate[] = [];
  for (const c of candidates) {
    const ctx = contexts.get(contextKey(c.event.tenantId, c.event.deviceId));
    if (ctx?.known && ctx.deviceTenantId !== c.event.tenantId) {
      const detail = ctx.deviceTenantId
        ? 'device is registered to another tenant'
        : 'device is not assigned to a tenant';
      dead.push({ message: c.message, reason: 'unknown_device', detail, ...pick(c.event) });
      continue;
    }
    accepted.push(c);
  }

  const newKeys = await insertSeen(
    client,
    accepted.map((c) => ({
      tenantId: c.event.tenantId,
      deviceId: c.event.deviceId,
      eventId: c.event.eventId,
      ts: c.ts,
      receivedAt: c.event.receivedAt,
      srcPartition: info.partition,
      srcOffset: c.message.offset,
      late: false,
    })),
  );
  const fresh = accepted.filter((c) => newKeys.has(c.key));
  const duplicates = accepted.filter((c) => !newKeys.has(c.key));
  const again = await findStoredBySameMessage(
    client,
    duplicates.map((c) => ({ ...c.event, srcPartition: info.partition, srcOffset: c.message.offset })),
  );
  const republish = duplicates
    .filter((c) => again.has(c.key))
    .map((c) => ({ ...c, late: again.get(c.key)?.late ?? false }));

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
    suppressed,
  };
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
