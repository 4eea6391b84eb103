import { type Batch, type Bus, DOWNSTREAM_MAX_LAG, type Subscription } from '@telemetry/bus';
import { decodeMessage, TelemetryDeadV1, Topics } from '@telemetry/contracts';
import { counter, type Logger, type Registry } from '@telemetry/observability';
import { type Loop, startLoop } from '@telemetry/runtime';
import type { Store } from '@telemetry/store';
import { type RejectionRow, toRejectionRow } from './excerpt.js';
import { DEFAULT_LIMITS, pruneRejections, type RejectionLimits, recordRejections } from './repository.js';

export interface RejectionsDeps {
  bus: Bus;
  store: Store;
  logger: Logger;
  registry: Registry;
  /** Default Topics.telemetryDead (tests use their own). */
  topic?: string;
  /** Consumer group; default "rejections". */
  groupId?: string;
  limits?: RejectionLimits;
  /** How often rows past the tenants' retention are deleted; default 1 h, 0 = never (tests). */
  pruneIntervalMs?: number;
  now?: () => number;
}

export interface Rejections {
  start(): Promise<void>;
  close(): Promise<void>;
  /** One retention pass now; returns the rows deleted. */
  prune(): Promise<number>;
}

/**
 * Keeps every dead letter visible (#14): consumer group "rejections" on telemetry.dead.v1 writes
 * each one into device_rejections (reason, time, payload excerpt; bounded per device and tenant,
 * per-tenant retention) and device_rejection_counts, for the API, the dashboard and the rules.
 *
 * Durable: on the in-process bus the edge's acknowledgement of a refused message (a QoS 1 PUBACK
 * of a dead letter) waits until it is recorded here. A dead letter that is not a valid
 * telemetry.dead.v1 is counted and skipped (it would never decode); a database error throws, so
 * the batch is delivered again (the dedupe key keeps it once).
 */
export function createRejections(deps: RejectionsDeps): Rejections {
  const topic = deps.topic ?? Topics.telemetryDead;
  const logger = deps.logger.child({ component: 'rejections' });
  const now = deps.now ?? Date.now;
  const recorded = counter(
    deps.registry,
    'telemetry_rejections_total',
    'Dead letters of every source (MQTT, HTTP, pipeline) seen once each by the rejections consumer, by reason and source',
    ['reason', 'source'],
  );
  const unkept = counter(
    deps.registry,
    'telemetry_rejections_unkept_total',
    'Dead letters not kept as rejections: without a tenant (unknown device) or not decodable',
    ['why'],
  );
  let subscription: Subscription | undefined;
  let loop: Loop | undefined;

  const handler = async (batch: Batch) => {
    const rows: RejectionRow[] = [];
    for (const message of batch.messages) {
      let dead: TelemetryDeadV1;
      try {
        dead = decodeMessage(TelemetryDeadV1, message.value);
      } catch (err) {
        unkept.inc({ why: 'malformed' });
        logger.warn({ err, offset: message.offset }, 'a dead letter that is not telemetry.dead.v1: skipped');
        continue;
      }
      const row = toRejectionRow(dead);
      if (!row) {
        unkept.inc({ why: 'no_tenant' });
        recorded.inc({ reason: dead.reason, source: dead.source });
        continue;
      }
      rows.push(row);
    }
    if (rows.length === 0) return;
    const inserted = await deps.store.withTransaction((client) =>
      recordRejections(client, rows, deps.limits ?? DEFAULT_LIMITS),
    );
    for (const r of inserted) recorded.inc({ reason: r.reason, source: r.source });
  };

  const prune = async () => {
    const deleted = await pruneRejections(deps.store.pool, new Date(now()));
    if (deleted > 0) logger.info({ deleted }, 'rejections past their tenant’s retention deleted');
    return deleted;
  };

  return {
    async start() {
      if (subscription) return;
      await deps.bus.ensureTopics([{ name: topic }]);
      subscription = await deps.bus.subscribe({
        groupId: deps.groupId ?? 'rejections',
        topics: [topic],
        handler,
        maxBatchSize: 500,
        fromBeginning: true,
        durable: true,
        // the batch that dead-lettered (and so a device's PUBACK) does not wait for this copy (#23)
        maxLag: DOWNSTREAM_MAX_LAG,
      });
      await subscription.ready;
      const every = deps.pruneIntervalMs ?? 3_600_000;
      if (every > 0) loop = startLoop('rejections retention', every, prune, logger);
      logger.info({ topic, groupId: subscription.groupId }, 'rejections consumer started');
    },
    async close() {
      await loop?.stop();
      loop = undefined;
      const s = subscription;
      subscription = undefined;
      await s?.close();
    },
    prune,
  };
}
