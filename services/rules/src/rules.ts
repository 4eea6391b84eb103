import { type Bus, DOWNSTREAM_MAX_LAG, type Subscription } from '@telemetry/bus';
import type { Config } from '@telemetry/config';
import { isRetriable, Topics } from '@telemetry/contracts';
import type { Logger, Registry } from '@telemetry/observability';
import { startLoop } from '@telemetry/runtime';
import { RELAY_SAFETY_INTERVAL_MS, relayOutbox, relayTick, type Store } from '@telemetry/store';
import { type HandlerDeps, presenceHandler, telemetryHandler } from './handlers.js';
import { checkInvalidData } from './invalid-data-timer.js';
import { createLookups } from './io/context.js';
import { createRulesMetrics } from './metrics.js';
import { checkOffline } from './offline-timer.js';

export interface RulesTopics {
  accepted: string;
  presence: string;
  alerts: string;
  tasks: string;
  /** device.commands.v1, where a rule's command is announced to the gateways (#18). */
  commands?: string;
  /** Where a message the worker fails on for good goes (see SubscribeOptions.deadLetter). */
  deadLetter: string;
}

export interface RulesDeps {
  bus: Bus;
  store: Store;
  logger: Logger;
  registry: Registry;
  config: Pick<Config, 'rules'>;
  /** Wall clock (ms); tests drive the offline timer with their own. */
  now?: () => number;
  /** Topic names (default: Topics); tests use their own. */
  topics?: Partial<RulesTopics>;
  /** Consumer group (default "rules"). */
  groupId?: string;
  /**
   * Memory bus: how far the group may lag before the pipeline's publish waits for it (default
   * DOWNSTREAM_MAX_LAG; 0 = a publish resolves once the rules committed it, as tests that
   * look at the alerts right after publishing want).
   */
  maxLag?: number;
}

export interface RulesService {
  start(): Promise<void>;
  /** One offline-timer pass now (the timer runs it every cfg.rules.offlineCheckIntervalMs). */
  checkOffline(): Promise<{ checked: number; changed: number }>;
  /** One pass of the "device sends invalid data" timer now (it runs with the offline timer). */
  checkInvalidData(): Promise<{ checked: number; changed: number }>;
  /**
   * Publishes what rules_outbox holds (the relay runs it every cfg.rules.relayIntervalMs, taking
   * rows older than `graceMs`, default max(5 s, relay interval)).
   */
  relay(options?: { graceMs?: number }): Promise<number>;
  /** Forget cached rules and device context (after a rule change, for tests and admin tools). */
  invalidate(): void;
  close(): Promise<void>;
}

/**
 * The rules worker: consumer group "rules" on telemetry.accepted.v1 and device.presence.v1, an
 * offline timer and an outbox relay. Alerts and tasks land in the database with their
 * alerts.v1 / tasks.v1 messages, in one transaction per batch.
 */
export function createRules(deps: RulesDeps): RulesService {
  const now = deps.now ?? Date.now;
  const topics: RulesTopics = {
    accepted: Topics.telemetryAccepted,
    presence: Topics.devicePresence,
    alerts: Topics.alerts,
    tasks: Topics.tasks,
    deadLetter: Topics.deadLetter,
    ...deps.topics,
  };
  const commandsTopic = topics.commands ?? Topics.deviceCommands;
  const logger = deps.logger.child({ component: 'rules' });
  const cfg = deps.config.rules;
  const lookups = createLookups(deps.store.pool, cfg.cacheTtlMs, now);
  const handlerDeps: HandlerDeps = {
    store: deps.store,
    bus: deps.bus,
    lookups,
    topics: { ...topics, commands: commandsTopic },
    now,
    logger,
    metrics: createRulesMetrics(deps.registry),
    historicalAfterMs: cfg.historicalAfterMs,
  };
  let relayLoop: ReturnType<typeof startLoop> | undefined;
  // a publish after COMMIT failed: its rows are relayed once their grace has passed
  handlerDeps.onPublishError = () => relayLoop?.kick(relayGraceMs);
  const onTelemetry = telemetryHandler(handlerDeps);
  const onPresence = presenceHandler(handlerDeps);
  // Rows younger than this are still being published by the handler that wrote them.
  const relayGraceMs = Math.max(5_000, cfg.relayIntervalMs);

  let subscription: Subscription | undefined;
  let loops: ReturnType<typeof startLoop>[] = [];
  const relay = async (options: { graceMs?: number } = {}) => {
    const n = await relayOutbox(deps.bus, deps.store.pool, options.graceMs ?? relayGraceMs);
    if (n > 0) {
      handlerDeps.metrics.relayed.inc(n);
      logger.info({ relayed: n }, 'rules: relayed outbox messages');
    }
    return n;
  };

  return {
    async start() {
      await deps.bus.ensureTopics(
        [topics.accepted, topics.presence, topics.alerts, topics.tasks, commandsTopic, topics.deadLetter].map(
          (name) => ({ name }),
        ),
      );
      subscription = await deps.bus.subscribe({
        groupId: deps.groupId ?? 'rules',
        topics: [topics.accepted, topics.presence],
        // a batch costs a fixed handful of round trips whatever its size: under a backlog, bigger ones (#23)
        maxBatchSize: 2000,
        // the pipeline's batch (and so a device's PUBACK) does not wait for the rules (#23)
        maxLag: deps.maxLag ?? DOWNSTREAM_MAX_LAG,
        // a message that fails for good (a device id that is no uuid, a value out of range) is
        // dead-lettered with its reason instead of holding its partition forever
        deadLetter: { topic: topics.deadLetter, isRetriable },
        handler: (batch) => (batch.topic === topics.presence ? onPresence(batch) : onTelemetry(batch)),
      });
      await subscription.ready;
      // the relay sleeps while rules_outbox is empty (relayTick); RULES_RELAY_INTERVAL is its retry
      relayLoop = startLoop(
        'relay',
        Math.max(RELAY_SAFETY_INTERVAL_MS, cfg.relayIntervalMs),
        relayTick(() => relay(), {
          pool: deps.store.pool,
          graceMs: relayGraceMs,
          retryMs: cfg.relayIntervalMs,
          onError: (err) => logger.warn({ err }, 'rules: outbox relay failed; retrying'),
        }),
        logger,
      );
      loops = [
        startLoop('offline', cfg.offlineCheckIntervalMs, () => checkOffline(handlerDeps), logger),
        startLoop('invalid data', cfg.offlineCheckIntervalMs, () => checkInvalidData(handlerDeps), logger),
        relayLoop,
      ];
      logger.info({ topics }, 'rules started');
    },
    checkOffline: () => checkOffline(handlerDeps),
    checkInvalidData: () => checkInvalidData(handlerDeps),
    relay,
    invalidate: () => lookups.clear(),
    async close() {
      await Promise.all(loops.map((l) => l.stop()));
      loops = [];
      relayLoop = undefined;
      await subscription?.close();
      subscription = undefined;
    },
  };
}
