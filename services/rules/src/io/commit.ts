import type { Bus } from '@telemetry/bus';
import type { Effect, Evaluation, Rule, RuleState } from '@telemetry/rule-engine';
import { insertOutbox, type OutboxMessage, publishStored, type Store, type StoredMessage } from '@telemetry/store';
import type pg from 'pg';
import { createAlertSegment, EpisodeConflict } from './batched-effects.js';
import type { DeviceContext } from './context.js';
import { applyEffects, type TopicNames } from './effects.js';
import { lockStates, saveStates, stateKey } from './state-repo.js';

/** One evaluation to run against the persisted state of (rule, device). */
export interface Step {
  rule: Rule;
  ctx: DeviceContext;
  evaluate(state: RuleState): Evaluation;
}

export interface CommitResult {
  opened: number;
  resolved: number;
  tasks: number;
  /** Commands rules queued for devices (#18). */
  commands: number;
  published: number;
  /** Publishing after COMMIT failed: the rows stay in rules_outbox for the relay. */
  publishError?: Error;
}

/**
 * Runs steps, in order, in ONE transaction: lock the states, evaluate (pure), apply the effects,
 * write the states back and the bus messages into rules_outbox; COMMIT; then publish and delete
 * the outbox rows. Replaying the same steps after a crash is a no-op (last_ts, unique indexes),
 * and a crash after COMMIT leaves the messages for the relay.
 *
 * The alert effects go in bulk (batched-effects.ts: a handful of statements per batch, whatever
 * the number of alerts, #23); when that finds the alerts table out of step with rule_state it
 * rolls back and the batch runs again with one round trip per effect (applyEffects).
 */
export async function commitSteps(
  deps: { store: Store; bus: Bus; topics: TopicNames; now: () => number },
  steps: Step[],
  init: { lastTs?: number | null } = {},
): Promise<CommitResult> {
  if (steps.length === 0) return emptyResult();
  let applied: Applied;
  try {
    applied = await deps.store.withTransaction((client) => runSteps(client, deps, steps, init, true));
  } catch (err) {
    if (!(err instanceof EpisodeConflict)) throw err;
    applied = await deps.store.withTransaction((client) => runSteps(client, deps, steps, init, false));
  }
  const { result, stored } = applied;
  try {
    await publishStored(deps.bus, deps.store.pool, stored);
    result.published = stored.length;
  } catch (err) {
    result.publishError = err as Error;
  }
  return result;
}

const emptyResult = (): CommitResult => ({ opened: 0, resolved: 0, tasks: 0, commands: 0, published: 0 });

interface Applied {
  result: CommitResult;
  stored: StoredMessage[];
}

async function runSteps(
  client: pg.ClientBase,
  deps: { topics: TopicNames; now: () => number },
  steps: Step[],
  init: { lastTs?: number | null },
  batched: boolean,
): Promise<Applied> {
  const result = emptyResult();
  const keys = new Map<string, { ruleId: string; deviceId: string; tenantId: string }>();
  for (const s of steps)
    keys.set(stateKey(s.rule.id, s.ctx.deviceId), {
      ruleId: s.rule.id,
      deviceId: s.ctx.deviceId,
      tenantId: s.rule.tenantId,
    });
  const states = await lockStates(client, [...keys.values()], init);
  const dirty = new Map<string, RuleState>();
  const messages: OutboxMessage[] = [];
  const segment = createAlertSegment(deps.topics);
  const flush = async () => {
    if (segment.isEmpty()) return;
    const done = await segment.flush(client);
    messages.push(...done.messages);
    result.opened += done.opened;
    result.resolved += done.resolved;
    result.commands += done.commands;
  };
  const sequential = async (step: Step, state: RuleState, effects: Effect[]) => {
    const applied = await applyEffects(client, {
      rule: step.rule,
      ctx: step.ctx,
      state,
      effects,
      now: deps.now(),
      topics: deps.topics,
    });
    messages.push(...applied.messages);
    result.opened += applied.opened;
    result.resolved += applied.resolved;
    result.tasks += applied.tasks;
    result.commands += applied.commands;
    return applied.state;
  };
  for (const step of steps) {
    const key = stateKey(step.rule.id, step.ctx.deviceId);
    const before = states.get(key);
    if (!before) continue; // the rule or device was deleted meanwhile (FK cascade)
    const evaluation = step.evaluate(before);
    let next = evaluation.state;
    if (!batched) {
      if (evaluation.effects.length > 0) next = await sequential(step, next, evaluation.effects);
    } else {
      for (const effect of evaluation.effects) {
        if (effect.type === 'open_alert') {
          if (segment.hasOpen(key)) await flush();
          next = { ...next, alertId: segment.open(key, step.rule, step.ctx, effect) };
        } else if (effect.type === 'resolve_alert') {
          segment.resolve(effect);
        } else {
          // tasks (assignees, events) are rare: in order, after the alerts planned so far
          await flush();
          next = await sequential(step, next, [effect]);
        }
      }
    }
    if (next !== before) {
      states.set(key, next);
      dirty.set(key, next);
    }
  }
  await flush();
  await saveStates(client, dirty);
  return { result, stored: await insertOutbox(client, messages) };
}
