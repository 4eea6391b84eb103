import type { BatchHandler, Bus } from '@telemetry/bus';
import { DevicePresenceV1, decodeMessage, TelemetryAcceptedV1 } from '@telemetry/contracts';
import type { Logger } from '@telemetry/observability';
import { appliesTo, evaluateHeard, evaluateObservation, forAsset, type Observation } from '@telemetry/rule-engine';
import type { Store } from '@telemetry/store';
import { type CommitResult, commitSteps, type Step } from './io/commit.js';
import { deviceLabel, type Lookups, ruleTargets } from './io/context.js';
import type { TopicNames } from './io/effects.js';
import type { RulesMetrics } from './metrics.js';

export interface HandlerDeps {
  store: Store;
  bus: Bus;
  lookups: Lookups;
  topics: TopicNames;
  now: () => number;
  logger: Logger;
  metrics: RulesMetrics;
  /** Data whose device time is further behind now than this raises historical alerts. */
  historicalAfterMs: number;
  /** A publish after COMMIT failed (the rows wait in rules_outbox): wakes the relay. */
  onPublishError?: () => void;
}

/**
 * telemetry.accepted.v1: each event is evaluated against the rules targeting its device; the whole
 * batch (one partition, so one device's events in order) commits in one transaction. Throwing
 * redelivers the batch, which is harmless: rule_state.last_ts makes replayed samples no-ops.
 */
export function telemetryHandler(deps: HandlerDeps): BatchHandler {
  return async (batch) => {
    const stop = deps.metrics.batch.startTimer({ topic: 'telemetry' });
    const steps: Step[] = [];
    let evaluated = 0;
    let noRule = 0;
    for (const message of batch.messages) {
      let event: TelemetryAcceptedV1;
      try {
        event = decodeMessage(TelemetryAcceptedV1, message.value);
      } catch (err) {
        // The pipeline validated it; a message that is not the contract cannot become valid later.
        deps.logger.warn(
          { err, topic: batch.topic, offset: message.offset },
          'rules: skipping a malformed accepted message',
        );
        deps.metrics.events.inc({ topic: 'telemetry', result: 'malformed' });
        continue;
      }
      const ctx = await deps.lookups.device(event.deviceId, event.assetId);
      if (!ctx || ctx.tenantId !== event.tenantId) {
        deps.metrics.events.inc({ topic: 'telemetry', result: 'unknown_device' });
        continue;
      }
      const now = deps.now();
      const ts = Date.parse(event.ts);
      const obs: Observation = {
        ts,
        receivedAt: Date.parse(event.receivedAt),
        metrics: event.metrics,
        historical: event.late || now - ts > deps.historicalAfterMs,
        now,
        expectedIntervalS: ctx.expectedIntervalS,
        label: deviceLabel(ctx),
      };
      const rules = (await deps.lookups.rulesFor(ctx.tenantId)).filter((r) => ruleTargets(r, ctx) && appliesTo(r, obs));
      if (rules.length > 0) evaluated++;
      else noRule++;
      for (const rule of rules) {
        // a dispenser's own low_level_threshold wins over the rule's (seed 000)
        const own = forAsset(rule, ctx.chain[0]?.attributes);
        steps.push({ rule, ctx, evaluate: (state) => evaluateObservation(own, state, obs) });
      }
    }
    const result = await commitOrLog(deps, steps, batch.topic);
    // counted once committed, so the count is what the worker has done (the bench waits on it)
    if (evaluated) deps.metrics.events.inc({ topic: 'telemetry', result: 'evaluated' }, evaluated);
    if (noRule) deps.metrics.events.inc({ topic: 'telemetry', result: 'no_rule' }, noRule);
    report(deps, result);
    stop();
  };
}

/**
 * device.presence.v1: a connect or a disconnect both mean the device was alive at `at`, which
 * moves the offline rules' last-heard time (and resolves an offline alert when it comes back).
 * Going offline does not raise anything by itself: the offline timer does, after the rule's
 * factor x expected interval of silence.
 */
export function presenceHandler(deps: HandlerDeps): BatchHandler {
  return async (batch) => {
    const stop = deps.metrics.batch.startTimer({ topic: 'presence' });
    const steps: Step[] = [];
    for (const message of batch.messages) {
      let presence: DevicePresenceV1;
      try {
        presence = decodeMessage(DevicePresenceV1, message.value);
      } catch (err) {
        deps.logger.warn(
          { err, topic: batch.topic, offset: message.offset },
          'rules: skipping a malformed presence message',
        );
        deps.metrics.events.inc({ topic: 'presence', result: 'malformed' });
        continue;
      }
      const ctx = await deps.lookups.device(presence.deviceId);
      if (!ctx || ctx.tenantId !== presence.tenantId) continue;
      const heardAt = Math.min(Date.parse(presence.at), deps.now());
      const rules = (await deps.lookups.rulesFor(ctx.tenantId)).filter(
        (r) => r.kind === 'offline' && ruleTargets(r, ctx),
      );
      deps.metrics.events.inc({ topic: 'presence', result: rules.length > 0 ? 'evaluated' : 'no_rule' });
      for (const rule of rules) {
        steps.push({
          rule,
          ctx,
          evaluate: (state) =>
            evaluateHeard(rule, state, { heardAt, now: deps.now(), expectedIntervalS: ctx.expectedIntervalS }),
        });
      }
    }
    const result = await commitOrLog(deps, steps, batch.topic);
    report(deps, result);
    stop();
  };
}

/** Commits; a failure is logged here (with what failed) and rethrown so the bus redelivers. */
async function commitOrLog(deps: HandlerDeps, steps: Step[], topic: string): Promise<CommitResult> {
  try {
    return await commitSteps(deps, steps);
  } catch (err) {
    deps.logger.error({ err, topic, steps: steps.length }, 'rules: batch failed, it will be redelivered');
    throw err;
  }
}

export function report(deps: Pick<HandlerDeps, 'logger' | 'metrics' | 'onPublishError'>, result: CommitResult): void {
  if (result.opened) deps.metrics.alerts.inc({ change: 'opened' }, result.opened);
  if (result.resolved) deps.metrics.alerts.inc({ change: 'resolved' }, result.resolved);
  if (result.tasks) deps.metrics.tasks.inc(result.tasks);
  if (result.publishError) {
    deps.logger.warn(
      { err: result.publishError },
      'rules: publish after commit failed; the relay will publish from rules_outbox',
    );
    deps.onPublishError?.();
  }
}
