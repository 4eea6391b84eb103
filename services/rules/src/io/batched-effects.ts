import { randomUUID } from 'node:crypto';
import type { Effect, Rule } from '@telemetry/rule-engine';
import { type AlertRow, alertColumns, type OutboxMessage } from '@telemetry/store';
import type pg from 'pg';
import type { DeviceContext } from './context.js';
import { alertMessage, queueCommand, type TopicNames } from './effects.js';
import { iso } from './rows.js';

type OpenEffect = Extract<Effect, { type: 'open_alert' }>;
type ResolveEffect = Extract<Effect, { type: 'resolve_alert' }>;

/**
 * The alert effects of a batch, applied in bulk (#23): every alert opened in one INSERT (with its
 * alert_events row, ids chosen here so a later step of the same batch can resolve it) and every
 * auto-resolve in one UPDATE, instead of two round trips per effect. A segment holds at most one
 * open per (rule, device), so the partial unique index of open episodes sees them as the
 * sequential path would: resolves of older alerts first, then the opens, then resolves of the
 * segment's own opens. An open that finds an unresolved alert of its rule and device already
 * there (state and alerts out of step: only after a manual repair) throws EpisodeConflict: the
 * caller rolls back and runs the batch sequentially, which adopts that alert as the episode's.
 */
export class EpisodeConflict extends Error {
  constructor() {
    super('an open alert of this episode already exists');
  }
}

interface Open {
  seq: number;
  id: string;
  rule: Rule;
  ctx: DeviceContext;
  effect: OpenEffect;
}

interface Resolve {
  seq: number;
  effect: ResolveEffect;
}

export interface SegmentResult {
  /** In the order of the steps that caused them. */
  messages: OutboxMessage[];
  opened: number;
  resolved: number;
  commands: number;
}

const RETURNING = alertColumns();

export function createAlertSegment(topics: TopicNames) {
  let opens: Open[] = [];
  let resolves: Resolve[] = [];
  let openKeys = new Set<string>();
  let seq = 0;

  return {
    /** Whether an open for this key must wait for the next segment (flush first). */
    hasOpen: (key: string) => openKeys.has(key),
    isEmpty: () => opens.length === 0 && resolves.length === 0,
    /** Plans an open; returns the new alert's id for the episode's state. */
    open(key: string, rule: Rule, ctx: DeviceContext, effect: OpenEffect): string {
      const id = randomUUID();
      opens.push({ seq: seq++, id, rule, ctx, effect });
      openKeys.add(key);
      return id;
    },
    resolve(effect: ResolveEffect): void {
      resolves.push({ seq: seq++, effect });
    },
    async flush(client: pg.ClientBase): Promise<SegmentResult> {
      const out: SegmentResult = { messages: [], opened: 0, resolved: 0, commands: 0 };
      if (opens.length === 0 && resolves.length === 0) return out;
      const own = new Set(opens.map((o) => o.id));
      const ordered: { seq: number; message: OutboxMessage }[] = [];
      const resolveAll = async (list: Resolve[]) => {
        for (const { seq: s, message } of await resolveAlerts(client, list, topics.alerts)) {
          ordered.push({ seq: s, message });
          out.resolved++;
        }
      };
      await resolveAll(resolves.filter((r) => !own.has(r.effect.alertId)));
      const inserted = await insertAlerts(client, opens);
      if (inserted.size !== opens.length) throw new EpisodeConflict();
      for (const o of opens) {
        const row = inserted.get(o.id) as AlertRow;
        ordered.push({ seq: o.seq, message: alertMessage(topics.alerts, row, 'opened', o.effect.at) });
        out.opened++;
        // a late reading's episode is history: it commands nothing now
        if (o.rule.command && !o.effect.historical) {
          const sent = await queueCommand(client, o.rule, o.ctx.deviceId, o.id, topics.commands);
          if (sent) {
            ordered.push({ seq: o.seq + 0.5, message: sent });
            out.commands++;
          }
        }
      }
      await resolveAll(resolves.filter((r) => own.has(r.effect.alertId)));
      out.messages = ordered.sort((a, b) => a.seq - b.seq).map((m) => m.message);
      opens = [];
      resolves = [];
      openKeys = new Set();
      return out;
    },
  };
}

async function insertAlerts(client: pg.ClientBase, opens: Open[]): Promise<Map<string, AlertRow>> {
  const rows = new Map<string, AlertRow>();
  if (opens.length === 0) return rows;
  const col = <T>(f: (o: Open) => T) => opens.map(f);
  const { rows: inserted } = await client.query<AlertRow>(
    `WITH ins AS (
       INSERT INTO alerts (id, tenant_id, rule_id, device_id, asset_id, kind, severity, metric, value, threshold,
                           message, historical, opened_at)
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::uuid[], $6::text[], $7::text[],
                            $8::text[], $9::float8[], $10::float8[], $11::text[], $12::boolean[], $13::timestamptz[])
       ON CONFLICT (rule_id, device_id) WHERE state <> 'resolved' AND rule_id IS NOT NULL DO NOTHING
       RETURNING ${RETURNING}
     ), events AS (
       INSERT INTO alert_events (alert_id, change, note) SELECT id, 'opened', message FROM ins
     )
     SELECT * FROM ins`,
    [
      col((o) => o.id),
      col((o) => o.rule.tenantId),
      col((o) => o.rule.id),
      col((o) => o.ctx.deviceId),
      col((o) => o.ctx.assetId),
      col((o) => o.rule.kind),
      col((o) => o.rule.severity),
      col((o) => (o.rule.kind === 'offline' ? null : o.rule.metric)),
      col((o) => o.effect.value),
      col((o) => o.effect.threshold),
      col((o) => `${o.rule.name}: ${o.effect.message}`),
      col((o) => o.effect.historical),
      col((o) => iso(o.effect.at)),
    ],
  );
  for (const row of inserted) rows.set(row.id, row);
  return rows;
}

/** Auto-resolves; an alert a person resolved meanwhile is left alone and announces nothing. */
async function resolveAlerts(
  client: pg.ClientBase,
  list: Resolve[],
  topic: string,
): Promise<{ seq: number; message: OutboxMessage }[]> {
  if (list.length === 0) return [];
  const { rows } = await client.query<AlertRow>(
    `WITH v AS (SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::text[]) AS v(id, at, note)),
     up AS (
       UPDATE alerts a SET state = 'resolved', resolved_at = v.at, resolution = 'auto'
       FROM v WHERE a.id = v.id AND a.state <> 'resolved'
       RETURNING ${alertColumns('a')}
     ), events AS (
       INSERT INTO alert_events (alert_id, change, note) SELECT up.id, 'resolved', v.note FROM up JOIN v ON v.id = up.id
     )
     SELECT * FROM up`,
    [
      list.map((r) => r.effect.alertId),
      list.map((r) => iso(r.effect.at)),
      list.map((r) => `auto: ${r.effect.message}`),
    ],
  );
  const byId = new Map(rows.map((r) => [r.id, r]));
  const out: { seq: number; message: OutboxMessage }[] = [];
  for (const r of list) {
    const row = byId.get(r.effect.alertId);
    if (!row) continue;
    byId.delete(r.effect.alertId);
    out.push({
      seq: r.seq,
      message: alertMessage(topic, { ...row, value: r.effect.value ?? row.value }, 'resolved', r.effect.at),
    });
  }
  return out;
}
