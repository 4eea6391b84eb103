import type { AlertV1, TaskV1 } from '@telemetry/contracts';
import { describe, expect, it } from 'vitest';
import { composeAlertMail, composeTaskMail, type Whereabouts } from './compose.js';

const where: Whereabouts = {
  deviceId: 'dev-1',
  deviceName: 'esp32 coffee 1',
  asset: { name: 'Coffee 1', type: 'dispenser', attributes: { dispenser_type: 'coffee' } },
  ancestors: [
    { name: 'Pantry East', type: 'pantry' },
    { name: 'Floor 3', type: 'floor' },
  ],
  site: 'HQ',
};

const alert: AlertV1 = {
  v: 1,
  change: 'opened',
  alertId: 'a-1',
  tenantId: 't',
  ruleId: 'r',
  deviceId: 'dev-1',
  assetId: 'x',
  kind: 'threshold',
  severity: 'warning',
  state: 'open',
  metric: 'level',
  value: 12,
  threshold: 15,
  message: 'Low level: level 12 < 15',
  openedAt: '2026-01-01T10:00:00.000Z',
  changedAt: '2026-01-01T10:00:00.000Z',
  changedBy: null,
  historical: false,
};

describe('composeAlertMail', () => {
  it('says where the dispenser is (floor, pantry) and what it is (its type)', () => {
    const mail = composeAlertMail(alert, where);
    expect(mail.subject).toBe('[WARNING] Alert: Low level: level 12 < 15 (Coffee 1, Pantry East, Floor 3)');
    expect(mail.text).toContain('Dispenser: Coffee 1\nType: coffee\nFloor: Floor 3\nPantry: Pantry East\nSite: HQ\n');
    expect(mail.text).toContain('Location: HQ > Floor 3 > Pantry East > Coffee 1');
    expect(mail.text).toContain('Device: esp32 coffee 1 (dev-1)');
    expect(mail.text).toContain('Value: 12 (threshold 15)');
  });

  it('reads the stored dispenser_type first, then a plain type attribute (issue 19)', () => {
    const both = { ...where, asset: { ...where.asset, attributes: { dispenser_type: 'soap', type: 'coffee' } } };
    expect(composeAlertMail(alert, both as Whereabouts).text).toContain('Type: soap\n');
    const plain = { ...where, asset: { ...where.asset, attributes: { type: 'tea' } } };
    expect(composeAlertMail(alert, plain as Whereabouts).text).toContain('Type: tea\n');
  });

  it('falls back to the asset type and marks historical and resolved mails', () => {
    const plain = { ...where, asset: { name: 'M7', type: 'machine', attributes: {} } };
    const mail = composeAlertMail(
      { ...alert, change: 'resolved', state: 'resolved', historical: true, changedAt: '2026-01-01T11:00:00.000Z' },
      plain,
    );
    expect(mail.subject.startsWith('[historical] [WARNING] Resolved:')).toBe(true);
    expect(mail.text).toContain('Type: machine');
    expect(mail.text).toContain('Resolved at: 2026-01-01T11:00:00.000Z');
    expect(mail.text).toContain('Raised from late data');
  });

  it('numbers reminders', () => {
    expect(composeAlertMail({ ...alert, change: 'reminder' }, where, { reminderNumber: 2 }).subject).toContain(
      'Reminder 2: still open',
    );
  });
});

describe('composeTaskMail', () => {
  it('names the task, the place and the due date', () => {
    const task: TaskV1 = {
      v: 1,
      change: 'created',
      taskId: 'tk',
      tenantId: 't',
      ruleId: 'r',
      assetId: 'x',
      deviceId: 'dev-1',
      title: 'Ozone service on M7',
      status: 'not_started',
      dueAt: '2026-01-08T00:00:00.000Z',
      assignees: [],
      changedAt: '2026-01-01T00:00:00.000Z',
      changedBy: null,
    };
    const mail = composeTaskMail(task, where);
    expect(mail.subject).toBe('[TASK] Ozone service on M7 (Coffee 1, Pantry East, Floor 3)');
    expect(mail.text).toContain('Due: 2026-01-08T00:00:00.000Z');
    expect(mail.text).toContain('Status: not started');
  });
});
