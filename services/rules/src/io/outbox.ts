import type { Bus } from '@telemetry/bus';
import type pg from 'pg';
import type { OutboxMessage } from './effects.js';

export interface StoredMessage extends OutboxMessage {
  id: string;
}

/** Writes messages into rules_outbox inside the caller's transaction. */
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
 * Publishes stored messages (per topic, in id order) and deletes them. Runs with no transaction
 * and no pooled connection held while publishing: with the memory bus a publish waits for the
 * consumers (the notifier), which need a connection of the same pool (the embedded store has one).
 */
export async function publishStored(bus: Bus, pool: pg.Pool, messages: StoredMessage[]): Promise<void> {
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
 * taken, so the relay does not race the handler that is publishing its own rows right now; if it
 * still does (or two replicas relay at once), a message goes out twice, which consumers tolerate.
 */
export async function relayOnce(bus: Bus, pool: pg.Pool, graceMs: number, limit = 500): Promise<number> {
  const { rows } = await pool.query<StoredMessage>(
    `SELECT id::text, topic, key, payload FROM rules_outbox
     WHERE created_at < now() - make_interval(secs => $1::float8 / 1000)
     ORDER BY id LIMIT $2`,
    [graceMs, limit],
  );
  await publishStored(bus, pool, rows);
  return rows.length;
}
