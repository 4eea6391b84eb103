import { mkdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { uniqueName, waitFor } from '@telemetry/testing';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, connectDevice, type FakeDevice, handshake } from './api.js';
import type { TestBrowser } from './browser.js';
import { openE2e, type SharedStack, signIn as signInAt } from './shared.js';

/**
 * The dashboard in a real browser against the real stack: sign in, a device's value changing
 * live, an alert raised by a threshold crossing, acknowledged by an operator (after the
 * first-login steps), resolved by a manager, and a task moved to Finished. Screenshots go to
 * e2e/screenshots/ (the README shows two).
 */
const SHOTS = fileURLToPath(new URL('./screenshots/', import.meta.url));
const WAIT = { timeoutMs: 20_000 };

let stack: SharedStack;
let browser: TestBrowser;
let device: FakeDevice;
let manager: Api;
let deviceId: string;
const managerLogin = { username: uniqueName('manager'), password: 'manager-password-1' };
const operator = { username: '', password: '', newPassword: 'operator-password-1' };

const signIn = (page: Page, username: string, password: string) => signInAt(page, stack.urls.http, username, password);

/** Text of the first element matching, polled until `expected` holds. */
async function waitForText(
  page: Page,
  selector: string,
  expected: (text: string) => boolean,
  what: string,
): Promise<string> {
  return waitFor(
    async () => {
      const text =
        (await page
          .locator(selector)
          .first()
          .textContent({ timeout: 1_000 })
          .catch(() => null)) ?? '';
      return expected(text) ? text : null;
    },
    { ...WAIT, message: what },
  );
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `${SHOTS}${name}.png`, fullPage: false });
}

beforeAll(async () => {
  await mkdir(SHOTS, { recursive: true });
  const { admin, ...shared } = await openE2e();
  ({ stack, browser } = shared);

  // A tenant as its platform admin would set it up: a site in Berlin, a line with a press on it.
  const tenant = await admin.call<{ id: string }>('POST', '/api/tenants', {
    name: uniqueName('Car plant'),
    timezone: 'Europe/Berlin',
  });
  const site = await admin.call<{ id: string }>('POST', '/api/sites', {
    tenantId: tenant.id,
    name: 'Plant Nord',
    timezone: 'Europe/Berlin',
  });
  const line = await admin.call<{ id: string }>('POST', '/api/assets', {
    tenantId: tenant.id,
    siteId: site.id,
    type: 'line',
    name: 'Line A',
  });
  const press = await admin.call<{ id: string }>('POST', '/api/assets', {
    tenantId: tenant.id,
    siteId: site.id,
    parentId: line.id,
    type: 'machine',
    name: 'Press 7',
  });
  await admin.call('POST', '/api/users', {
    tenantId: tenant.id,
    role: 'manager',
    ...managerLogin,
    firstName: 'Mia',
    lastName: 'Manager',
  });
  manager = await Api.login(stack.urls.http, managerLogin.username, managerLogin.password);

  // The manager creates an operator: username and password generated, shown once.
  const created = await manager.call<{ user: { id: string }; username: string; password: string }>(
    'POST',
    '/api/users',
    { role: 'operator' },
  );
  operator.username = created.username;
  operator.password = created.password;
  // operators see the alerts and tasks of the machines they work on (the car-plant seed, #19)
  await manager.call('POST', `/api/users/${created.user.id}/assignments`, { assetId: press.id });

  // Machine temperature above 80 °C is critical; it clears below 70.
  await manager.call('POST', '/api/rules', {
    name: 'Press overheating',
    kind: 'threshold',
    assetType: 'machine',
    metric: 'temperature',
    operator: '>',
    threshold: 80,
    clearThreshold: 70,
    severity: 'critical',
  });

  // The device says hello (pending), the admin assigns it to the press, then it reports.
  const hello = await handshake(stack.urls.http, 'EC:E3:34:46:2B:C7');
  expect(hello.assigned).toBe(false);
  deviceId = hello.deviceId;
  await admin.call('POST', `/api/devices/${encodeURIComponent(deviceId)}/assign`, {
    tenantId: tenant.id,
    assetId: press.id,
    name: 'Press 7 controller',
  });
  device = await connectDevice(stack.urls.mqtt, deviceId, hello.token);
  // the last hour, as a device replays what it buffered, then the reading of now
  const now = Date.now();
  for (let m = 60; m >= 1; m--) {
    const temperature = Math.round((24 + 6 * Math.sin(m / 9) + (m % 7) / 10) * 10) / 10;
    await device.send({ temperature, vibration: 0.3, battery: 97 }, new Date(now - m * 60_000));
  }
  await device.send({ temperature: 21.5, vibration: 0.31, battery: 96 });
  await waitFor(
    async () =>
      (await manager.call<{ latest: Record<string, unknown> }>('GET', `/api/devices/${deviceId}`)).latest.temperature,
    {
      ...WAIT,
      message: 'first reading stored',
    },
  );
}, 180_000);

afterAll(async () => {
  await device?.close().catch(() => {});
  await browser?.close();
}, 60_000);

describe('dashboard in a browser', () => {
  it('signs a manager in and shows a device value changing live', async () => {
    const page = await browser.newUserPage();
    // a refusal shows the problem's detail, not a bare status
    await signIn(page, managerLogin.username, 'not-the-password');
    const problem = await page.getByRole('alert').textContent({ timeout: WAIT.timeoutMs });
    expect(problem).toMatch(/password/i);
    expect(problem).not.toMatch(/^\s*401\s*$/);

    await signIn(page, managerLogin.username, managerLogin.password);
    await page.getByRole('heading', { name: 'Fleet' }).waitFor();
    const card = page.locator(`[data-device-id="${deviceId}"]`);
    await waitForText(
      page,
      `[data-device-id="${deviceId}"] [data-metric="temperature"]`,
      (t) => t === '21.5',
      'fleet card value',
    );
    expect(await card.locator('.badge').first().textContent()).toBe('online');
    await shot(page, 'fleet');

    await card.getByRole('link', { name: 'Press 7 controller' }).click();
    await page.getByRole('heading', { name: 'Press 7 controller' }).waitFor();
    const value = '#latest-values [data-metric="temperature"] .value-big';
    await waitForText(page, value, (t) => t === '21.5', 'device page value');

    // the device reports: the page updates without a reload
    await device.send({ temperature: 23.25, vibration: 0.35, battery: 96 });
    await waitForText(page, value, (t) => t === '23.25', 'live value over Socket.IO');
    await page.locator('.chart canvas').first().waitFor();
    await shot(page, 'device');

    // the CSV export of the visible range is a download of the stored readings
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export CSV' }).click(),
    ]);
    const path = await download.path();
    const csv = await readFile(path, 'utf8');
    expect(csv.split('\n')[0]).toMatch(/temperature|metric|ts/);
    expect(csv).toContain('23.25');
  });

  it('shows an alert when a threshold is crossed, and an operator acknowledges it after the first-login steps', async () => {
    const page = await browser.newUserPage();
    await signIn(page, operator.username, operator.password);

    // first login: choose a password, complete the profile
    await page.getByRole('heading', { name: 'Choose your own password' }).waitFor();
    await page.getByLabel('Current (generated) password').fill(operator.password);
    await page.getByLabel('New password', { exact: true }).fill(operator.newPassword);
    await page.getByLabel('Repeat the new password').fill(operator.newPassword);
    await page.getByRole('button', { name: 'Save password' }).click();
    await page.getByRole('heading', { name: 'Complete your profile' }).waitFor();
    await page.getByLabel('First name').fill('Olga');
    await page.getByLabel('Last name').fill('Operator');
    await page.getByLabel('Email').fill('olga@example.com');
    await page.getByRole('button', { name: 'Save and continue' }).click();
    await page.getByRole('heading', { name: 'Fleet' }).waitFor();

    await page.getByRole('link', { name: 'Alerts' }).click();
    await page.getByText('Nothing needs attention').waitFor();

    // the press overheats: the alert arrives over the socket, no reload
    await device.send({ temperature: 93.4, vibration: 0.8, battery: 95 });
    const row = page.locator('tr[data-alert-id]').first();
    await row.waitFor({ timeout: WAIT.timeoutMs });
    expect(await row.getAttribute('data-state')).toBe('open');
    expect(await row.textContent()).toContain('critical');
    await shot(page, 'alerts');

    // operators acknowledge; resolving is for managers (no button, and the API refuses)
    expect(await row.getByRole('button', { name: /^Resolve/ }).count()).toBe(0);
    await row.getByRole('button', { name: /^Acknowledge/ }).click();
    await waitFor(async () => (await row.getAttribute('data-state')) === 'acknowledged', {
      ...WAIT,
      message: 'acknowledged',
    });
    const alertId = await row.getAttribute('data-alert-id');
    const asOperator = await Api.login(stack.urls.http, operator.username, operator.newPassword);
    expect(await asOperator.status('POST', `/api/alerts/${alertId}/resolve`)).toBe(403);
  });

  it('lets a manager resolve the acknowledged alert', async () => {
    const page = await browser.newUserPage();
    await signIn(page, managerLogin.username, managerLogin.password);
    await page.getByRole('link', { name: 'Alerts' }).click();
    const row = page.locator('tr[data-alert-id][data-state="acknowledged"]').first();
    await row.waitFor({ timeout: WAIT.timeoutMs });
    await row.getByRole('button', { name: /^Resolve/ }).click();
    await page.getByText('Nothing needs attention').waitFor({ timeout: WAIT.timeoutMs });
    await page.getByRole('button', { name: 'Resolved' }).click();
    const resolved = page.locator('tr[data-alert-id][data-state="resolved"]').first();
    await resolved.waitFor({ timeout: WAIT.timeoutMs });
  });

  it('moves tasks along the board, with buttons and by drag and drop', async () => {
    const due = new Date(Date.now() + 3 * 86_400_000).toISOString();
    const newTask = (title: string) =>
      manager.call<{ id: string }>('POST', '/api/tasks', { title, deviceId, dueAt: due });
    const filter = await newTask('Replace the press filter');
    const chain = await newTask('Lubricate the line A chain');
    await newTask('Calibrate the temperature sensor');
    const page = await browser.newUserPage();
    await signIn(page, managerLogin.username, managerLogin.password);
    await page.getByRole('link', { name: 'Tasks' }).click();
    const card = (id: string, status: string) => page.locator(`[data-column="${status}"] [data-task-id="${id}"]`);

    // buttons: Not Started -> In Progress -> Finished
    await card(filter.id, 'not_started').waitFor({ timeout: WAIT.timeoutMs });
    await card(filter.id, 'not_started')
      .getByRole('button', { name: /to In Progress/ })
      .click();
    await card(filter.id, 'in_progress').waitFor({ timeout: WAIT.timeoutMs });
    await card(filter.id, 'in_progress')
      .getByRole('button', { name: /to Finished/ })
      .click();
    await card(filter.id, 'finished').waitFor({ timeout: WAIT.timeoutMs });
    const stored = await manager.call<{ status: string; finishedAt: string | null }>('GET', `/api/tasks/${filter.id}`);
    expect(stored.status).toBe('finished');
    expect(stored.finishedAt).not.toBeNull();

    // drag: a card onto the In Progress column
    await card(chain.id, 'not_started').dragTo(page.locator('[data-column="in_progress"]'));
    await card(chain.id, 'in_progress').waitFor({ timeout: WAIT.timeoutMs });
    await waitFor(
      async () => (await manager.call<{ status: string }>('GET', `/api/tasks/${chain.id}`)).status === 'in_progress',
      {
        ...WAIT,
        message: 'dragged task stored as in progress',
      },
    );
    await shot(page, 'tasks');
  });

  it('shows a task created on the board once, though its live update comes first', async () => {
    const page = await browser.newUserPage();
    await signIn(page, managerLogin.username, managerLogin.password);
    await page.getByRole('link', { name: 'Tasks' }).click();
    await page.getByText('New task').click();
    const title = uniqueName('Check the hydraulic hoses');
    await page.getByLabel('Title').fill(title);
    await page.getByRole('button', { name: 'Add task' }).click();
    await page.locator('[data-task-id]', { hasText: title }).first().waitFor({ timeout: WAIT.timeoutMs });
    // the create answer and the task.v1 push both arrive; wait for the push to have been applied
    await waitFor(
      async () => {
        const tasks = await manager.call<{ items: Array<{ title: string }> }>('GET', '/api/tasks');
        return tasks.items.some((t) => t.title === title);
      },
      { ...WAIT, message: 'task stored' },
    );
    await page.waitForTimeout(1_000);
    expect(await page.locator('[data-task-id]', { hasText: title }).count()).toBe(1);
  });

  it('lets the platform admin pick or create a working tenant, then add a site and a rule in it', async () => {
    const page = await browser.newUserPage();
    await signIn(page, stack.admin.username, stack.admin.password);
    await page.getByRole('link', { name: 'Sites and assets' }).click();
    const tenantName = uniqueName('Dispenser outlet');
    await page.getByLabel('Or a new tenant').fill(tenantName);
    await page.getByRole('button', { name: 'Create tenant' }).click();
    await waitForText(page, '#tenant-picker-h ~ form select option:checked', (t) => t === tenantName, 'tenant picked');
    await page.getByLabel('Site name').fill('Tower B');
    await page.getByRole('button', { name: 'Add site' }).click();
    const admin = await Api.login(stack.urls.http, stack.admin.username, stack.admin.password);
    const tenants = await admin.call<{ items: Array<{ id: string; name: string }> }>('GET', '/api/tenants');
    const tenant = tenants.items.find((t) => t.name === tenantName);
    expect(tenant).toBeDefined();
    const site = await waitFor(
      async () => {
        const sites = await admin.call<{ items: Array<{ name: string; tenantId: string }> }>('GET', '/api/sites');
        return sites.items.find((s) => s.name === 'Tower B') ?? null;
      },
      { ...WAIT, message: 'site created' },
    );
    expect(site.tenantId).toBe(tenant?.id);

    // the choice is kept on the rules page of the same tab
    await page.getByRole('link', { name: 'Rules and recipients' }).click();
    await page.getByText('New rule', { exact: true }).click();
    await page.getByLabel('Rule name').fill('Outlet too warm');
    await page.getByLabel('Asset type').fill('dispenser');
    await page.getByLabel('Metric').fill('temperature');
    await page.getByLabel('Threshold', { exact: true }).fill('30');
    await page.getByRole('button', { name: 'Add rule' }).click();
    const rule = await waitFor(
      async () => {
        const rules = await admin.call<{ items: Array<{ name: string; tenantId: string }> }>('GET', '/api/rules');
        return rules.items.find((r) => r.name === 'Outlet too warm') ?? null;
      },
      { ...WAIT, message: 'rule created' },
    );
    expect(rule.tenantId).toBe(tenant?.id);
  });

  it('sends a command from the device page and shows the device’s reply', async () => {
    await device.answerCommands();
    const page = await browser.newUserPage();
    await signIn(page, managerLogin.username, managerLogin.password);
    await page.goto(`${stack.urls.http}/#/devices/${encodeURIComponent(deviceId)}`);
    await page.getByRole('heading', { name: 'Commands' }).waitFor({ timeout: WAIT.timeoutMs });
    await page.getByLabel('Command', { exact: true }).fill('reboot');
    await page.getByRole('button', { name: 'Send command' }).click();
    await waitForText(
      page,
      '#commands-h ~ .table-wrap tbody tr',
      (t) => t.includes('reboot') && t.includes('replied') && t.includes('"done":"reboot"'),
      'command replied in the table',
    );
    const { items } = await manager.call<{ items: Array<{ name: string; status: string }> }>(
      'GET',
      `/api/devices/${encodeURIComponent(deviceId)}/commands`,
    );
    expect(items[0]).toMatchObject({ name: 'reboot', status: 'replied' });
    await page.locator('#commands-h').scrollIntoViewIfNeeded();
    await shot(page, 'commands');
  });

  it('sets a desired attribute on the device page and shows the device applied it', async () => {
    await device.applyDesired();
    const page = await browser.newUserPage();
    await signIn(page, managerLogin.username, managerLogin.password);
    await page.goto(`${stack.urls.http}/#/devices/${encodeURIComponent(deviceId)}`);
    await page.getByRole('heading', { name: 'Configuration' }).waitFor({ timeout: WAIT.timeoutMs });
    await page.getByLabel('Attribute', { exact: true }).fill('interval_s');
    await page.getByLabel('Desired value', { exact: true }).fill('30');
    await page.getByRole('button', { name: 'Set', exact: true }).click();
    await waitForText(
      page,
      '[data-attribute="interval_s"]',
      (t) => t.includes('30') && t.includes('Applied'),
      'reported by the device, shown applied',
    );
    const shadow = await manager.call<{ inSync: boolean; reported: Record<string, unknown> }>(
      'GET',
      `/api/devices/${encodeURIComponent(deviceId)}/shadow`,
    );
    expect(shadow).toMatchObject({ inSync: true, reported: { interval_s: 30 } });
    await page.locator('#shadow-h').scrollIntoViewIfNeeded();
    await shot(page, 'configuration');
  });

  it('lets a manager set a device type’s deadband ("stored only on change")', async () => {
    const page = await browser.newUserPage();
    await signIn(page, managerLogin.username, managerLogin.password);
    await page.getByRole('link', { name: 'Devices', exact: true }).click();
    const row = page.locator('[data-device-type]').first();
    await row.waitFor({ timeout: WAIT.timeoutMs });
    const typeName = (await row.getAttribute('data-device-type')) as string;
    await row.getByLabel(`Deadband of ${typeName}`).fill('{"temperature": 0.5, "*": 0}');
    await row.getByRole('button', { name: 'Save' }).click();
    const stored = await waitFor(
      async () => {
        const { items } = await manager.call<{ items: Array<{ name: string; deadband: Record<string, number> }> }>(
          'GET',
          '/api/device-types',
        );
        const t = items.find((x) => x.name === typeName);
        return t && Object.keys(t.deadband).length > 0 ? t : null;
      },
      { ...WAIT, message: 'deadband stored' },
    );
    expect(stored.deadband).toEqual({ temperature: 0.5, '*': 0 });
  });

  it('fits a phone screen', async () => {
    const page = await browser.newUserPage({ width: 390, height: 844 });
    await signIn(page, managerLogin.username, managerLogin.password);
    await page.getByRole('heading', { name: 'Fleet' }).waitFor();
    // no horizontal scrolling of the page; the menu folds behind a button
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.getByRole('button', { name: 'Menu' }).click();
    await page.getByRole('link', { name: 'Alerts' }).waitFor();
    await shot(page, 'phone');
  });
});
