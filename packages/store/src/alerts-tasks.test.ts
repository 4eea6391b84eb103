import { AlertV1, TaskV1 } from '@telemetry/contracts';
import { describe, expect, it } from 'vitest';
import { type AlertRow, alertColumns, type TaskRow, taskColumns, toAlertV1, toTaskV1 } from './alerts-tasks.js';

const alert: AlertRow = {
  id: 'a1',
  tenant_id: 't1',
  rule_id: 'r1',
  device_id: 'dev-1',
  asset_id: null,
  kind: 'threshold',
  severity: 'warning',
  state: 'acknowledged',
  metric: 'level',
  value: 12,
  threshold: 15,
  message: 'Low level: level 12 < 15',
  historical: true,
  opened_at: new Date('2024-05-01T10:00:00.000Z'),
};

const task: TaskRow = {
  id: 'k1',
  tenant_id: 't1',
  rule_id: null,
  asset_id: 'as1',
  device_id: null,
  title: 'Replace the lamp',
  status: 'in_progress',
  due_at: null,
  assignees: ['u1', 'u2'],
};

describe('alerts and tasks rows', () => {
  it('lists every AlertRow column, qualified by the alias when one is given', () => {
    expect(alertColumns()).toBe(
      'id, tenant_id, rule_id, device_id, asset_id, kind, severity, state, metric, value, threshold, message, historical, opened_at',
    );
    expect(alertColumns('al').split(', ')).toEqual(
      alertColumns()
        .split(', ')
        .map((c) => `al.${c}`),
    );
  });

  it('selects a task with its assignees through the alias', () => {
    expect(taskColumns('t')).toMatch(/^t\.id, t\.tenant_id, .*WHERE ta\.task_id = t\.id\), '\{\}'\) AS assignees$/s);
  });

  it('maps a row and its change to a valid alerts.v1 message', () => {
    const at = new Date('2024-05-01T10:05:00.000Z');
    const m = toAlertV1(alert, { change: 'acknowledged', changedAt: at, changedBy: 'u1' });
    expect(AlertV1.parse(m)).toEqual(m);
    expect(m).toMatchObject({
      alertId: 'a1',
      tenantId: 't1',
      assetId: null,
      state: 'acknowledged',
      openedAt: '2024-05-01T10:00:00.000Z',
      changedAt: '2024-05-01T10:05:00.000Z',
      changedBy: 'u1',
      historical: true,
    });
  });

  it('maps a row and its change to a valid tasks.v1 message', () => {
    const m = toTaskV1(task, { change: 'status_changed', changedAt: new Date(0), changedBy: null });
    expect(TaskV1.parse(m)).toEqual(m);
    expect(m).toMatchObject({ taskId: 'k1', dueAt: null, assignees: ['u1', 'u2'], changedBy: null });
    expect(
      toTaskV1(
        { ...task, due_at: new Date(86_400_000) },
        { change: 'created', changedAt: new Date(0), changedBy: null },
      ).dueAt,
    ).toBe('1970-01-02T00:00:00.000Z');
  });
});
