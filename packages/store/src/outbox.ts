import type pg from 'pg';
import type { Store } from './index.js';

/**
 * The transactional outbox (table rules_outbox, 0006): a change and the bus messages that
 * announce it are committed together, then published after COMMIT; what a crash or a failed
 * publish leaves behind is published by the relay. So an acknowledged alert or task is never
 * silently missing from its topic (at-least-once; consumers dedupe). The api and the rules
 * worker both write through here, and each runs the relay for its own outage.
 */
export interface OutboxMessage {
  topic: string;
  key: string;
  payload: string;
}

export interface StoredMessage extends OutboxMessage {
  id: string;
}

/** The bus as the outbox needs it (structural: no dependency on @telemetry/bus). */
export interface OutboxBus {
  publish(topic: string, messages: { key: string; value: string }[]): Promise<unknown>;
}

export type Emit = (message: OutboxMessage) => void;

/** Writes messages into the outbox inside the caller's transaction, in order. */
export async function insertOutbox(client: pg.ClientBase, messages: OutboxMessage[]): Promise<StoredMessage[]> {
  if (messages.length === 0) return [];
  const { rows } = await client.query<StoredMessage>(
    `INSERT INTO rules_outbox (topic, key, payload)
     SELECT topic, key, payload FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS m(topic, key, payload, n)
     ORDER BY n
     RETURNING id::text, topic, key, payload`,
    [messages.map((m) => m.topic), messages.map((m) => m.key), messages.map((m) => m.payload)],
  );
  return rows.sort((a, b) => Number(BigInt(a.id) - BigInt(b.id)));
}

/**
 * Publishes stored messages (per topic, in id order) and deletes them; throws on the first failed
 * publish (the rest stays for the relay). Runs with no transaction and no pooled connection held
 * while publishing: with the memory bus a publish waits for the consumers, which need a
 * connection of the same pool (the embedded store has one).
 */
export async function publishStored(bus: OutboxBus, pool: pg.Pool, messages: StoredMessage[]): Promise<void> {
  if (messages.length === 0) return;
  const byTopic = new Map<string, StoredMessage[]>();
  for (const m of messages) byTopic.set(m.topic, [...(byTopic.get(m.topic) ?? []), m]);
  for (const [topic, list] of byTopic) {
    await bus.publish(
      topic,
      list.map((m) => ({ key: m.key, value: m.payload })),
    );
    await pool.query('DELETE FROM rules_outbox WHERE id = ANY($1::bigint[])', [list.map((m) => m.id)]);
  }
}

/**
 * Publishes what a crash left between COMMIT and publish. Only rows older than `graceMs` are
 * taken, so the relay does not race the writer that is publishing its own rows right now; if it
 * still does (or two relays run at once), a message goes out twice, which consumers tolerate.
 */
export async function relayOutbox(bus: OutboxBus, pool: pg.Pool, graceMs: number, limit = 500): Promise<number> {
  const { rows } = await pool.query<StoredMessage>(
    `SELECT id::text, topic, key, payload FROM rules_outbox
     WHERE created_at < now() - make_interval(secs => $1::float8 / 1000)
     ORDER BY id LIMIT $2`,
    [graceMs, limit],
  );
  await publishStored(bus, pool, rows);
  return rows.length;
}

/**
 * Milliseconds until the oldest row of the outbox is older than `graceMs` (≤ 0: now), null when it
 * is empty. A relay loop sleeps that long instead of polling an outbox that is empty nearly
 * always (the writers publish their own rows after COMMIT) (#23).
 */
async function outboxDueInMs(pool: pg.Pool, graceMs: number): Promise<number | null> {
  const { rows } = await pool.query<{ ms: number | null }>(
    `SELECT (extract(epoch FROM min(created_at) - now()) * 1000 + $1::float8)::float8 AS ms FROM rules_outbox`,
    [graceMs],
  );
  const ms = rows[0]?.ms;
  return ms === null || ms === undefined ? null : ms;
}

/** How often a relay looks at an outbox it believes empty: for rows another process's crash left (#23). */
export const RELAY_SAFETY_INTERVAL_MS = 60_000;

/**
 * The tick of a relay loop (startLoop): one relay pass, then when to look again: at once after a
 * full page, when the oldest row left passes its grace (a writer's publish failed, or is under
 * way), `retryMs` after an error, else only at the loop's safety interval. Writers whose publish
 * fails kick the loop (`kick(graceMs)`), so a failure is relayed after the grace, as before.
 */
export function relayTick(
  relay: () => Promise<number>,
  opts: { pool: pg.Pool; graceMs: number; retryMs: number; limit?: number; onError: (err: unknown) => void },
): () => Promise<true | { nextInMs: number } | undefined> {
  return async () => {
    try {
      if ((await relay()) >= (opts.limit ?? 500)) return true;
      const due = await outboxDueInMs(opts.pool, opts.graceMs);
      return due === null ? undefined : { nextInMs: Math.max(1_000, due) };
    } catch (err) {
      opts.onError(err);
      return { nextInMs: opts.retryMs };
    }
  };
}

/**
 * Runs fn in a transaction; the messages it emits are committed with it, then published. A failed
 * publish after COMMIT does not fail the caller (the change is made): `onPublishError` hears of it
 * and the rows wait for the relay.
 */
export async function withOutbox<T>(
  deps: { bus: OutboxBus; store: Pick<Store, 'pool' | 'withTransaction'>; onPublishError: (err: unknown) => void },
  fn: (client: pg.PoolClient, emit: Emit) => Promise<T>,
): Promise<T> {
  let stored: StoredMessage[] = [];
  const value = await deps.store.withTransaction(async (client) => {
    const emitted: OutboxMessage[] = [];
    const result = await fn(client, (m) => emitted.push(m));
    stored = await insertOutbox(client, emitted);
    return result;
  });
  try {
    await publishStored(deps.bus, deps.store.pool, stored);
  } catch (err) {
    deps.onPublishError(err);
  }
  return value;
}
