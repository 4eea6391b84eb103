import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { uniqueName, waitFor } from '@telemetry/testing';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, connectDevice, type FakeDevice, handshake } from './api.js';
import type { TestBrowser } from './browser.js';
import { openE2e, type SharedStack, signIn as signInAt } from './shared.js';

/**
 * Rules and alerts in a real browser (#21): a manager creates a maintenance rule (not a
 * threshold), edits it and tests it against the device's recent data; the device, over real
 * MQTT, makes it fire; the alert list pages and filters; an operator opens the alert on a
 * 390 px screen, sees its history and acknowledges it with a comment; disabling the rule
 * resolves the alert. One stack for the file.
 */
const SHOTS = fileURLToPath(new URL('./screenshots/', import.meta.url));
const WAIT = { timeoutMs: 30_000 };
// the site is in New York while the browser runs in Berlin: times must say the site's zone
const SITE_ZONE = 'America/New_York';

let stack: SharedStack;
let browser: TestBrowser;
let device: FakeDevice;
let manager: Api;
let deviceId: string;
let uptime = 0;
const managerLogin = { username: uniqueName('manager'), password: 'manager-password-1' };
const operatorLogin = { username: '', password: 'operator-password-1' };

async function signIn(page: Page, username: string, password: string): Promise<void> {
  await signInAt(page, stack.urls.http, username, password);
  await page.getByRole('heading', { name: 'Fleet' }).waitFor();
}

const shot = (page: Page, name: string) => page.screenshot({ path: `${SHOTS}${name}.png`, fullPage: false });

interface AlertItem {
  id: string;
  state: string;
  kind: string;
  severity: string;
}
const alertsOf = async (q: string) => (await manager.call<{ items: AlertItem[] }>('GET', `/api/alerts?${q}`)).items;

beforeAll(async () => {
  await mkdir(SHOTS, { recursive: true });
  const { admin, ...shared } = await openE2e();
  ({ stack, browser } = shared);
  const tenant = await admin.call<{ id: string }>('POST', '/api/tenants', {
    name: uniqueName('Ozone'),
    timezone: 'UTC',
  });
  const site = await admin.call<{ id: string }>('POST', '/api/sites', {
    tenantId: tenant.id,
    name: 'Outlet Manhattan',
    timezone: SITE_ZONE,
  });
  const machine = await admin.call<{ id: string }>('POST', '/api/assets', {
    tenantId: tenant.id,
    siteId: site.id,
    type: 'machine',
    name: 'Ozone 3',
  });
  await admin.call('POST', '/api/users', {
    tenantId: tenant.id,
    role: 'manager',
    ...managerLogin,
    firstName: 'Mia',
    lastName: 'Manager',
  });
  manager = await Api.login(stack.urls.http, managerLogin.username, managerLogin.password);
  const created = await manager.call<{ user: { id: string }; username: string; password: string }>(
    'POST',
    '/api/users',
    {
      role: 'operator',
    },
  );
  operatorLogin.username = created.username;
  await manager.call('POST', `/api/users/${created.user.id}/assignments`, { assetId: machine.id });
  // the operator's first-login steps (the dashboard test walks them in the browser)
  const op = await Api.login(stack.urls.http, created.username, created.password);
  await op.call('POST', '/api/auth/password', {
    currentPassword: created.password,
    newPassword: operatorLogin.password,
  });
  await op.call('PUT', '/api/auth/profile', { firstName: 'Olga', lastName: 'Operator', email: 'olga@example.com' });

  const hello = await handshake(stack.urls.http, 'EC:E3:34:46:2B:D9');
  deviceId = hello.deviceId;
  await admin.call('POST', `/api/devices/${encodeURIComponent(deviceId)}/assign`, {
    tenantId: tenant.id,
    assetId: machine.id,
    name: 'Ozone 3 controller',
  });
  const { deviceType } = await manager.call<{ deviceType: string }>(
    'GET',
    `/api/devices/${encodeURIComponent(deviceId)}`,
  );
  await manager.call('PUT', `/api/device-types/${encodeURIComponent(deviceType)}`, {
    metrics: { uptime_s: { label: 'Running time', unit: 's' }, temperature: { label: 'Lamp temperature', unit: '°C' } },
  });
  // a threshold rule that flaps with the lamp: it gives the alert list several pages
  await manager.call('POST', '/api/rules', {
    name: 'Lamp hot',
    kind: 'threshold',
    deviceId,
    metric: 'temperature',
    operator: '>',
    threshold: 80,
    severity: 'critical',
  });
  device = await connectDevice(stack.urls.mqtt, deviceId, hello.token);
  // the last half hour as the device buffered it: running time grows 60 s a minute
  const now = Date.now();
  for (let m = 30; m >= 1; m--) {
    uptime += 60;
    await device.send({ uptime_s: uptime, temperature: 40 }, new Date(now - m * 60_000));
  }
  await waitFor(
    async () =>
      (await manager.call<{ latest: Record<string, unknown> }>('GET', `/api/devices/${deviceId}`)).latest.uptime_s,
    { ...WAIT, message: 'history stored' },
  );
}, 180_000);

afterAll(async () => {
  await device?.close().catch(() => {});
  await browser?.close();
}, 60_000);

describe('rules and alerts in a browser (#21)', () => {
  it('a manager creates a maintenance rule, edits it and tests it against recent data', async () => {
    const page = await browser.newUserPage();
    await signIn(page, managerLogin.username, managerLogin.password);
    await page.getByRole('link', { name: 'Rules and recipients' }).click();
    await page.getByText('New rule', { exact: true }).click();
    const form = page.getByRole('form', { name: 'New rule' });
    await form.getByLabel('Rule name').fill('Lamp service');
    await form.getByLabel('Kind').selectOption('maintenance');
    await form.getByLabel('Applies to').selectOption('deviceId');
    await form.getByLabel('Device', { exact: true }).selectOption(deviceId);
    await form.getByLabel('Metric').fill('uptime_s');
    await form.getByLabel('Service interval').fill('3600');
    await form.getByRole('button', { name: 'Add rule' }).click();
    const row = page.locator('tr[data-rule-id]', { hasText: 'Lamp service' });
    await row.waitFor();
    expect(await row.textContent()).toContain('Maintenance');

    // edit: every 10 minutes of running time; test the draft before saving it
    await row.getByRole('button', { name: 'Edit rule Lamp service' }).click();
    const edit = page.getByRole('form', { name: 'Edit rule Lamp service' });
    await edit.getByLabel('Service interval').fill('600');
    await edit.getByLabel('Test device').selectOption(deviceId);
    await edit.getByRole('button', { name: 'Test rule' }).click();
    const result = edit.getByTestId('rule-test-result');
    await result.waitFor({ timeout: WAIT.timeoutMs });
    const text = (await result.textContent()) ?? '';
    // 30 minutes of running time past the first reading: due at +10 min, once (the task stays open)
    expect(text).toMatch(/Would have fired 1 time over 30 of \d+ stored readings/);
    expect(text).toMatch(/task “Lamp service on Ozone 3 controller”/);
    expect(text).toMatch(/EST|EDT|GMT-[45]/); // the site's zone, not the browser's
    await shot(page, 'rule-test');
    await edit.getByRole('button', { name: 'Save rule' }).click();
    await page.locator('tr[data-rule-id]', { hasText: 'every 600' }).waitFor();
  });

  it('the device makes it fire over MQTT; the alert list pages and filters', async () => {
    // the worker's first reading under the rule is its baseline (its rule cache is 5 s): running
    // time goes on until 10 more minutes of it make the service due
    await waitFor(
      async () => {
        uptime += 60;
        await device.send({ uptime_s: uptime, temperature: 40 });
        return (await alertsOf('kind=maintenance&state=open')).length === 1 ? true : null;
      },
      { ...WAIT, intervalMs: 500, message: 'maintenance alert raised' },
    );
    // the lamp flaps: each crossing opens and clears one critical alert
    for (let i = 0; i < 6; i++) {
      // device times strictly increase: a reading at or before the last one is not evaluated
      const t = Date.now();
      await device.send({ uptime_s: uptime, temperature: 90 }, new Date(t + 1));
      await device.send({ uptime_s: uptime, temperature: 40 }, new Date(t + 2));
      await waitFor(async () => ((await alertsOf('severity=critical&state=resolved')).length > i ? true : null), {
        ...WAIT,
        message: `critical episode ${i + 1}`,
      });
    }

    const page = await browser.newUserPage();
    await signIn(page, managerLogin.username, managerLogin.password);
    await page.getByRole('link', { name: 'Alerts' }).click();
    const rows = page.locator('tr[data-alert-id]');
    await rows.first().waitFor();
    expect(await rows.count()).toBe(1); // "Needs attention": the maintenance alert
    expect(await rows.first().textContent()).toContain('Ozone 3 controller');

    await page.getByRole('button', { name: 'All', exact: true }).click();
    await page.getByLabel('Per page').selectOption('5');
    await waitFor(async () => ((await rows.count()) === 5 ? true : null), { ...WAIT, message: 'page 1 of 5' });
    await page.getByRole('button', { name: 'Older' }).click();
    await waitFor(async () => ((await rows.count()) === 2 ? true : null), {
      ...WAIT,
      message: 'page 2: 7 alerts in all',
    });
    await page.getByRole('button', { name: 'Newer' }).click();
    await waitFor(async () => ((await rows.count()) === 5 ? true : null), { ...WAIT, message: 'back to page 1' });

    await page.getByLabel('Severity').selectOption('warning');
    await waitFor(async () => ((await rows.count()) === 1 ? true : null), { ...WAIT, message: 'severity filter' });
    expect(await rows.first().textContent()).toMatch(/Running time \d+ h|Running time \d+ min/);
    await page.getByLabel('Severity').selectOption('critical');
    await waitFor(async () => ((await rows.count()) === 5 ? true : null), { ...WAIT, message: 'critical filter' });
    // opened in the future of the site's clock: nothing
    await page.getByLabel(/Opened from/).fill('2199-01-01T00:00');
    await page.getByText('No alerts match').waitFor();
    await shot(page, 'alerts-filtered');
  });

  it('an operator at 390 px opens the alert, sees its history and acknowledges it with a comment', async () => {
    const page = await browser.newUserPage({ width: 390, height: 844 });
    await signIn(page, operatorLogin.username, operatorLogin.password);
    await page.getByRole('button', { name: 'Menu' }).click();
    await page.getByRole('link', { name: 'Alerts' }).click();
    const row = page.locator('tr[data-alert-id]').first();
    await row.waitFor();
    // the row is a card at this width: its Acknowledge button is on screen
    const button = row.getByRole('button', { name: /^Acknowledge/ });
    const box = await button.boundingBox();
    expect(box).not.toBeNull();
    expect((box?.x ?? 0) + (box?.width ?? 0)).toBeLessThanOrEqual(390);
    await shot(page, 'alerts-390');

    await row.getByRole('link').first().click();
    await page.getByTestId('alert-history').waitFor();
    expect(await page.getByTestId('alert-history').textContent()).toContain('Opened');
    await page.getByLabel('Comment').fill('replacing the lamp today');
    const ack = page.getByRole('button', { name: 'Acknowledge', exact: true });
    await ack.scrollIntoViewIfNeeded();
    const ackBox = await ack.boundingBox();
    expect((ackBox?.x ?? 0) + (ackBox?.width ?? 0)).toBeLessThanOrEqual(390);
    await ack.click();
    await waitFor(
      async () => ((await page.getByTestId('alert-state').textContent())?.includes('acknowledged') ? true : null),
      { ...WAIT, message: 'acknowledged on the alert page' },
    );
    expect(await page.getByTestId('alert-ack').textContent()).toContain('replacing the lamp today');
    expect(await page.getByTestId('alert-assignee').textContent()).toContain('Olga Operator');
    const history = (await page.getByTestId('alert-history').textContent()) ?? '';
    expect(history).toContain('Acknowledged');
    expect(history).toMatch(/EST|EDT|GMT-[45]/);
    await shot(page, 'alert-390');
  });

  it('disabling the rule resolves its open alert', async () => {
    const [open] = await alertsOf('kind=maintenance&state=active');
    expect(open?.state).toBe('acknowledged');
    const page = await browser.newUserPage();
    await signIn(page, managerLogin.username, managerLogin.password);
    await page.getByRole('link', { name: 'Rules and recipients' }).click();
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Disable rule Lamp service' }).click();
    await page.getByRole('button', { name: 'Enable rule Lamp service' }).waitFor();
    await shot(page, 'rules');
    await page.goto(`${stack.urls.http}/#/alerts/${open?.id}`);
    await waitFor(
      async () => ((await page.getByTestId('alert-state').textContent())?.includes('resolved') ? true : null),
      { ...WAIT, message: 'resolved with its rule' },
    );
    expect(await page.getByTestId('alert-state').textContent()).toContain('rule disabled');
    expect(await page.getByTestId('alert-history').textContent()).toContain('rule disabled');
  });
});
