import { AlertV1, DeviceCommandV1, encodeMessage, TaskV1 } from '@telemetry/contracts';
import type { Effect, Rule, RuleState } from '@telemetry/rule-engine';
import { type AlertRow, alertColumns, type OutboxMessage, toAlertV1 } from '@telemetry/store';
import type pg from 'pg';
import type { DeviceContext } from './context.js';
import { iso } from './rows.js';

export interface TopicNames {
  alerts: string;
  tasks: string;
  /** device.commands.v1: a rule's command was queued for the gateway to deliver (#18). */
  commands: string;
}

export interface AppliedEffects {
  state: RuleState;
  messages: OutboxMessage[];
  opened: number;
  resolved: number;
  tasks: number;
  commands: number;
}

const ALERT_COLUMNS = alertColumns();

/**
 * Turns an evaluation's effects into rows, inside the caller's transaction: alerts (+ alert_events),
 * tasks (+ assignees, task_events) and the matching alerts.v1 / tasks.v1 messages. The unique
 * indexes (one open alert, one unfinished task per rule and device) make a repeated effect a no-op.
 */
export async function applyEffects(
  client: pg.ClientBase,
  input: { rule: Rule; ctx: DeviceContext; state: RuleState; effects: Effect[]; now: number; topics: TopicNames },
): Promise<AppliedEffects> {
  const { rule, ctx, effects, topics } = input;
  let state = input.state;
  const out: AppliedEffects = { state, messages: [], opened: 0, resolved: 0, tasks: 0, commands: 0 };
  for (const effect of effects) {
    switch (effect.type) {
      case 'open_alert': {
        const inserted = await client.query<AlertRow>(
          `INSERT INTO alerts (tenant_id, rule_id, device_id, asset_id, kind, severity, metric, value, threshold, message, historical, opened_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
           ON CONFLICT (rule_id, device_id) WHERE state <> 'resolved' AND rule_id IS NOT NULL DO NOTHING
           RETURNING ${ALERT_COLUMNS}`,
          [
            rule.tenantId,
            rule.id,
            ctx.deviceId,
            ctx.assetId,
            rule.kind,
            rule.severity,
            rule.kind === 'offline' ? null : rule.metric,
            effect.value,
            effect.threshold,
            `${rule.name}: ${effect.message}`,
            effect.historical,
            iso(effect.at),
          ],
        );
        const row = inserted.rows[0];
        if (!row) {
          // An unresolved alert of this rule and device already exists: it is this episode's.
          const existing = await client.query<{ id: string }>(
            `SELECT id FROM alerts WHERE rule_id = $1 AND device_id = $2 AND state <> 'resolved'`,
            [rule.id, ctx.deviceId],
          );
          state = { ...state, alertId: existing.rows[0]?.id ?? null };
          break;
        }
        state = { ...state, alertId: row.id };
        await client.query(`INSERT INTO alert_events (alert_id, change, note) VALUES ($1, 'opened', $2)`, [
          row.id,
          row.message,
        ]);
        out.messages.push(alertMessage(topics.alerts, row, 'opened', effect.at));
        out.opened++;
        // a late reading's episode is history: it commands nothing now
        if (rule.command && !effect.historical) {
          const sent = await queueCommand(client, rule, ctx.deviceId, row.id, topics.commands);
          if (sent) {
            out.messages.push(sent);
            out.commands++;
          }
        }
        break;
      }
      case 'resolve_alert': {
        const updated = await client.query<AlertRow>(
          `UPDATE alerts SET state = 'resolved', resolved_at = $2, resolution = 'auto'
           WHERE id = $1 AND state <> 'resolved' RETURNING ${ALERT_COLUMNS}`,
          [effect.alertId, iso(effect.at)],
        );
        const row = updated.rows[0];
        if (!row) break; // resolved by a person meanwhile
        await client.query(`INSERT INTO alert_events (alert_id, change, note) VALUES ($1, 'resolved', $2)`, [
          row.id,
          `auto: ${effect.message}`,
        ]);
        out.messages.push(
          alertMessage(topics.alerts, { ...row, value: effect.value ?? row.value }, 'resolved', effect.at),
        );
        out.resolved++;
        break;
      }
      case 'create_task': {
        const due = input.now + rule.taskDueDays * 86_400_000;
        const inserted = await client.query<{ id: string; created_at: Date }>(
          `INSERT INTO tasks (tenant_id, rule_id, asset_id, device_id, title, description, due_at, trigger_value)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           ON CONFLICT (rule_id, device_id) WHERE status <> 'finished' AND rule_id IS NOT NULL DO NOTHING
           RETURNING id, created_at`,
          [rule.tenantId, rule.id, ctx.assetId, ctx.deviceId, effect.title, effect.description, iso(due), effect.value],
        );
        const task = inserted.rows[0];
        if (!task) break; // the previous task is not finished yet
        const assignees = await assignTask(client, task.id, rule.tenantId, ctx.assetId);
        await client.query(
          `INSERT INTO task_events (task_id, from_status, to_status) VALUES ($1, NULL, 'not_started')`,
          [task.id],
        );
        const payload = TaskV1.parse({
          v: 1,
          change: 'created',
          taskId: task.id,
          tenantId: rule.tenantId,
          ruleId: rule.id,
          assetId: ctx.assetId,
          deviceId: ctx.deviceId,
          title: effect.title,
          status: 'not_started',
          dueAt: iso(due),
          assignees,
          changedAt: new Date(input.now).toISOString(),
          changedBy: null,
        });
        out.messages.push({ topic: topics.tasks, key: ctx.deviceId, payload: JSON.stringify(payload) });
        out.tasks++;
        break;
      }
    }
  }
  out.state = state;
  return out;
}

/**
 * The rule's command for this episode, in the same transaction as the alert: once per episode by
 * device_commands_alert (a replayed batch finds it queued), delivered by the gateway from the store.
 */
export async function queueCommand(
  client: pg.ClientBase,
  rule: Rule,
  deviceId: string,
  alertId: string,
  topic: string,
): Promise<OutboxMessage | undefined> {
  const command = rule.command;
  if (!command) return undefined;
  const { rows } = await client.query<{ id: string }>(
    `INSERT INTO device_commands (tenant_id, device_id, name, params, expires_at, alert_id)
     VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5), $6)
     ON CONFLICT (alert_id) WHERE alert_id IS NOT NULL DO NOTHING RETURNING id`,
    [rule.tenantId, deviceId, command.name, JSON.stringify(command.params), command.ttlS, alertId],
  );
  const id = rows[0]?.id;
  if (!id) return undefined;
  const payload = encodeMessage(DeviceCommandV1, {
    v: 1,
    tenantId: rule.tenantId,
    deviceId,
    commandId: id,
    at: new Date().toISOString(),
  }).toString();
  return { topic, key: deviceId, payload };
}

export function alertMessage(topic: string, row: AlertRow, change: AlertV1['change'], at: number): OutboxMessage {
  const payload = AlertV1.parse(toAlertV1(row, { change, changedAt: new Date(at), changedBy: null }));
  return { topic, key: row.device_id ?? row.id, payload: JSON.stringify(payload) };
}

/**
 * Assigns a maintenance task to the managers and operators assigned (user_assignments) to the
 * asset, one of its ancestors or the site of one of them; with nobody there, to the tenant's managers.
 */
async function assignTask(
  client: pg.ClientBase,
  taskId: string,
  tenantId: string,
  assetId: string | null,
): Promise<string[]> {
  let users: string[] = [];
  if (assetId !== null) {
    const { rows } = await client.query<{ id: string }>(
      `WITH RECURSIVE chain AS (
         SELECT id, parent_id, site_id, 0 AS depth FROM assets WHERE id = $2
         UNION ALL
         SELECT p.id, p.parent_id, p.site_id, c.depth + 1 FROM assets p JOIN chain c ON p.id = c.parent_id WHERE c.depth < 32
       )
       SELECT DISTINCT u.id FROM users u JOIN user_assignments ua ON ua.user_id = u.id
       WHERE u.tenant_id = $1 AND ua.tenant_id = $1 AND u.role IN ('manager', 'operator')
         AND (ua.asset_id IN (SELECT id FROM chain) OR ua.site_id IN (SELECT site_id FROM chain WHERE site_id IS NOT NULL))
       ORDER BY u.id`,
      [tenantId, assetId],
    );
    users = rows.map((r) => r.id);
  }
  if (users.length === 0) {
    const { rows } = await client.query<{ id: string }>(
      `SELECT id FROM users WHERE tenant_id = $1 AND role = 'manager' ORDER BY id`,
      [tenantId],
    );
    users = rows.map((r) => r.id);
  }
  if (users.length > 0) {
    await client.query(
      `INSERT INTO task_assignees (task_id, user_id) SELECT $1, u FROM unnest($2::uuid[]) AS u ON CONFLICT DO NOTHING`,
      [taskId, users],
    );
  }
  return users;
}
