import type { Bus } from '@telemetry/bus';
import type { Evaluation, Rule, RuleState } from '@telemetry/rule-engine';
import { insertOutbox, type OutboxMessage, publishStored, type Store } from '@telemetry/store';
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
 */
export async function commitSteps(
  deps: { store: Store; bus: Bus; topics: TopicNames; now: () => number },
  steps: Step[],
  init: { lastTs?: number | null } = {},
): Promise<CommitResult> {
  const result: CommitResult = { opened: 0, resolved: 0, tasks: 0, commands: 0, published: 0 };
  if (steps.length === 0) return result;
  const stored = await deps.store.withTransaction(async (client) => {
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
    for (const step of steps) {
      const key = stateKey(step.rule.id, step.ctx.deviceId);
      const before = states.get(key);
      if (!before) continue; // the rule or device was deleted meanwhile (FK cascade)
      const evaluation = step.evaluate(before);
      let next = evaluation.state;
      if (evaluation.effects.length > 0) {
        const applied = await applyEffects(client, {
          rule: step.rule,
          ctx: step.ctx,
          state: next,
          effects: evaluation.effects,
          now: deps.now(),
          topics: deps.topics,
        });
        next = applied.state;
        messages.push(...applied.messages);
        result.opened += applied.opened;
        result.resolved += applied.resolved;
        result.tasks += applied.tasks;
        result.commands += applied.commands;
      }
      if (next !== before) {
        states.set(key, next);
        dirty.set(key, next);
      }
    }
    await saveStates(client, dirty);
    return insertOutbox(client, messages);
  });
  try {
    await publishStored(deps.bus, deps.store.pool, stored);
    result.published = stored.length;
  } catch (err) {
    result.publishError = err as Error;
  }
  return result;
}
