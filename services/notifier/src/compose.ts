import type { AlertV1, TaskV1 } from '@telemetry/contracts';

/** Where a device sits: its asset, the asset's ancestors (nearest first) and the site. */
export interface Whereabouts {
  deviceId: string | null;
  deviceName: string | null;
  asset: { name: string; type: string; attributes: Record<string, unknown> } | null;
  /** Ancestors of the asset, nearest first (pantry, then floor...). */
  ancestors: { name: string; type: string }[];
  site: string | null;
}

export interface Composed {
  subject: string;
  text: string;
}

const CHANGE_TITLE: Record<AlertV1['change'], string> = {
  opened: 'Alert',
  acknowledged: 'Acknowledged',
  resolved: 'Resolved',
  reminder: 'Reminder: still open',
};

/**
 * The alert email. Like the dispenser seed's low-level mail it says where the thing is (every
 * ancestor by its type: "Floor: Floor 3", "Pantry: Pantry East") and what it is (the asset's
 * `dispenser_type`, e.g. coffee: see assetKind).
 */
export function composeAlertMail(
  alert: AlertV1,
  where: Whereabouts,
  options: { reminderNumber?: number } = {},
): Composed {
  const place = shortPlace(where);
  const historical = alert.historical ? '[historical] ' : '';
  const title =
    alert.change === 'reminder' && options.reminderNumber
      ? `Reminder ${options.reminderNumber}: still open`
      : CHANGE_TITLE[alert.change];
  const subject = `${historical}[${alert.severity.toUpperCase()}] ${title}: ${alert.message}${place ? ` (${place})` : ''}`;
  const lines = [
    `${title}: ${alert.message}`,
    '',
    ...describePlace(where),
    `Severity: ${alert.severity}`,
    `State: ${alert.state}`,
    `Opened at: ${alert.openedAt}`,
  ];
  if (alert.change === 'resolved') lines.push(`Resolved at: ${alert.changedAt}`);
  if (alert.value !== null)
    lines.push(`Value: ${alert.value}${alert.threshold !== null ? ` (threshold ${alert.threshold})` : ''}`);
  if (alert.historical) {
    lines.push('', 'Raised from late data: this happened in the past and may no longer hold.');
  }
  lines.push('', `Alert id: ${alert.alertId}`);
  return { subject: oneLine(subject), text: `${lines.join('\n')}\n` };
}

export function composeTaskMail(task: TaskV1, where: Whereabouts): Composed {
  const place = shortPlace(where);
  const subject = `[TASK] ${task.title}${place ? ` (${place})` : ''}`;
  const lines = [
    `A maintenance task was assigned to you: ${task.title}`,
    '',
    ...describePlace(where),
    `Status: ${task.status.replace('_', ' ')}`,
    `Due: ${task.dueAt ?? 'no due date'}`,
    '',
    `Task id: ${task.taskId}`,
  ];
  return { subject: oneLine(subject), text: `${lines.join('\n')}\n` };
}

/** "Coffee 1, Pantry East, Floor 3" */
export function shortPlace(where: Whereabouts): string {
  return [where.asset?.name, ...where.ancestors.map((a) => a.name)].filter(Boolean).join(', ');
}

function describePlace(where: Whereabouts): string[] {
  const lines: string[] = [];
  if (where.asset) {
    lines.push(`${label(where.asset.type)}: ${where.asset.name}`);
    lines.push(`Type: ${assetKind(where.asset)}`);
  }
  const rootFirst = [...where.ancestors].reverse();
  for (const a of rootFirst) lines.push(`${label(a.type)}: ${a.name}`);
  if (where.site) lines.push(`Site: ${where.site}`);
  if (rootFirst.length > 0 || where.site) {
    lines.push(
      `Location: ${[where.site, ...rootFirst.map((a) => a.name), where.asset?.name].filter(Boolean).join(' > ')}`,
    );
  }
  if (where.deviceId)
    lines.push(`Device: ${where.deviceName ? `${where.deviceName} (${where.deviceId})` : where.deviceId}`);
  return lines;
}

/**
 * What the asset is: the `<asset type>_type` attribute (the dispenser seed's `dispenser_type`:
 * coffee, soap..., which the API's dispenser routes store), else a plain `type` attribute, else
 * the asset type itself. One convention for every typed asset (issue 19: the mail said
 * "Type: dispenser" because only `type` was read).
 */
export function assetKind(asset: { type: string; attributes: Record<string, unknown> }): string {
  for (const key of [`${asset.type}_type`, 'type']) {
    const t = asset.attributes[key];
    if (typeof t === 'string' && t.trim()) return t;
  }
  return asset.type;
}

const label = (type: string) => (type ? type[0]?.toUpperCase() + type.slice(1).replace(/_/g, ' ') : 'Asset');
const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim().slice(0, 250);
