import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { uniqueName, waitFor } from '@telemetry/testing';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, connectDevice, type FakeDevice, handshake } from './api.js';
import type { TestBrowser } from './browser.js';
import { openE2e, type SharedStack, signIn as signInAt } from './shared.js';

/**
 * Dashboards people compose (#21) in a real browser against the real stack (one start): a manager
 * builds a board of three widgets bound to a device, saves it and reloads; the device publishes over
 * MQTT and the widgets follow live; the board is edited again (gauge, device table, a command button
 * the device answers); a viewer of the tenant sees the board but cannot edit it (no
 * button, and the API refuses); another tenant cannot read it. Screenshots: e2e/screenshots/boards*.png.
 */
const SHOTS = fileURLToPath(new URL('./screenshots/', import.meta.url));
const WAIT = { timeoutMs: 20_000 };

let stack: SharedStack;
let browser: TestBrowser;
let device: FakeDevice;
let manager: Api;
let viewer: Api;
let otherTenant: Api;
let deviceId: string;
let boardId: string;
const managerLogin = { username: uniqueName('boards-manager'), password: 'manager-password-1' };
const viewerLogin = { username: uniqueName('boards-viewer'), password: 'viewer-password-1' };

async function signIn(page: Page, username: string, password: string): Promise<void> {
  await signInAt(page, stack.urls.http, username, password);
  await page.getByRole('heading', { name: 'Fleet' }).waitFor({ timeout: WAIT.timeoutMs });
}

/** The text of a locator, polled until `expected` holds. */
function waitForText(target: Locator, expected: (text: string) => boolean, what: string): Promise<string> {
  return waitFor(
    async () => {
      const text = (await target.textContent({ timeout: 1_000 }).catch(() => null)) ?? '';
      return expected(text) ? text : null;
    },
    { ...WAIT, message: what },
  );
}

const widget = (page: Page, kind: string) => page.locator(`[data-widget-kind="${kind}"]`);

beforeAll(async () => {
  await mkdir(SHOTS, { recursive: true });
  const { admin, ...shared } = await openE2e();
  ({ stack, browser } = shared);

  const tenant = await admin.call<{ id: string }>('POST', '/api/tenants', { name: uniqueName('Press shop') });
  const site = await admin.call<{ id: string }>('POST', '/api/sites', {
    tenantId: tenant.id,
    name: 'Plant Süd',
    timezone: 'Europe/Berlin',
  });
  const press = await admin.call<{ id: string }>('POST', '/api/assets', {
    tenantId: tenant.id,
    siteId: site.id,
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
  const v = await manager.call<{ user: { id: string } }>('POST', '/api/users', {
    role: 'viewer',
    ...viewerLogin,
    firstName: 'Vic',
    lastName: 'Viewer',
  });
  // viewers see the machines assigned to them (and their devices' live rooms)
  await manager.call('POST', `/api/users/${v.user.id}/assignments`, { assetId: press.id });
  viewer = await Api.login(stack.urls.http, viewerLogin.username, viewerLogin.password);
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

  const other = await admin.call<{ id: string }>('POST', '/api/tenants', { name: uniqueName('Other tenant') });
  const otherLogin = { username: uniqueName('other-manager'), password: 'other-password-1' };
  await admin.call('POST', '/api/users', {
    tenantId: other.id,
    role: 'manager',
    ...otherLogin,
    firstName: 'O',
    lastName: 'M',
  });
  otherTenant = await Api.login(stack.urls.http, otherLogin.username, otherLogin.password);

  const hello = await handshake(stack.urls.http, 'EC:E3:34:46:B0:A7');
  deviceId = hello.deviceId;
  await admin.call('POST', `/api/devices/${encodeURIComponent(deviceId)}/assign`, {
    tenantId: tenant.id,
    assetId: press.id,
    name: 'Press 7 controller',
  });
  device = await connectDevice(stack.urls.mqtt, deviceId, hello.token);
  // half an hour of history for the chart (store-and-forward), then the reading of now
  const now = Date.now();
  for (let m = 30; m >= 1; m--) await device.send({ temperature: 40 + (m % 5) }, new Date(now - m * 60_000));
  await device.send({ temperature: 21.5 });
  await waitFor(
    async () =>
      (await manager.call<{ latest: { temperature?: { v: number } } }>('GET', `/api/devices/${deviceId}`)).latest
        .temperature?.v === 21.5,
    { ...WAIT, message: 'first reading stored' },
  );
}, 180_000);

afterAll(async () => {
  await device?.close().catch(() => {});
  await browser?.close();
}, 60_000);

describe('dashboards people compose', () => {
  it('lets a manager build a board of three widgets, save it, reload it, and see it follow the device live', async () => {
    const page = await browser.newUserPage();
    await signIn(page, managerLogin.username, managerLogin.password);
    await page.getByRole('link', { name: 'Dashboards' }).click();
    await page.getByRole('heading', { name: 'Dashboards' }).waitFor();
    await page.getByLabel('Dashboard name').fill('Press 7 overview');
    await page.getByRole('button', { name: 'Create dashboard' }).click();
    await page.getByRole('heading', { name: 'Edit dashboard' }).waitFor({ timeout: WAIT.timeoutMs });
    boardId = /#\/boards\/([0-9a-f-]{36})/.exec(page.url())?.[1] ?? '';
    expect(boardId).not.toBe('');

    const add = async (kind: string, label: string) => {
      await page.getByLabel('Widget kind').selectOption({ label });
      await page.getByRole('button', { name: 'Add widget' }).click();
      const w = widget(page, kind);
      await w.getByLabel('Device').selectOption(deviceId);
      return w;
    };
    const latest = await add('latest', 'Latest value');
    await latest.getByLabel('Metric').fill('temperature');
    await latest.getByLabel('Unit').fill('°C');
    const chart = await add('chart', 'Chart');
    await chart.getByLabel('Metric').fill('temperature');
    await chart.getByRole('button', { name: 'Taller' }).click();
    await add('alerts', 'Alert list');
    await page.getByRole('button', { name: 'Save dashboard' }).click();
    await page.getByRole('button', { name: 'Edit dashboard' }).waitFor({ timeout: WAIT.timeoutMs });

    const stored = await manager.call<{
      version: number;
      layout: { widgets: Array<{ kind: string; binding: { deviceId?: string }; position: { h: number } }> };
    }>('GET', `/api/dashboards/${boardId}`);
    expect(stored.version).toBe(2);
    expect(stored.layout.widgets.map((w) => w.kind)).toEqual(['latest', 'chart', 'alerts']);
    expect(stored.layout.widgets.every((w) => w.binding.deviceId === deviceId)).toBe(true);
    expect(stored.layout.widgets[1]?.position.h).toBe(5);

    // saved on the server: a reload shows the same board, with the stored value
    await page.reload();
    const value = widget(page, 'latest').locator('[data-metric="temperature"]');
    await waitForText(value, (t) => t === '21.5', 'latest value after reload');
    await widget(page, 'chart').locator('canvas').first().waitFor({ timeout: WAIT.timeoutMs });
    await waitFor(
      async () => Number(await widget(page, 'chart').locator('[data-points]').getAttribute('data-points')) > 0,
      {
        ...WAIT,
        message: 'chart loaded the rollups',
      },
    );
    await widget(page, 'alerts').getByText('Nothing needs attention').waitFor();

    // the device publishes over MQTT: the widgets update without a reload
    await device.send({ temperature: 23.25 });
    await waitForText(value, (t) => t === '23.25', 'latest value live over Socket.IO');
    await device.send({ temperature: 93.4 });
    await waitForText(value, (t) => t === '93.4', 'overheated value live');
    const alert = widget(page, 'alerts').locator('li[data-alert-id]').first();
    await alert.waitFor({ timeout: WAIT.timeoutMs });
    expect(await alert.getAttribute('data-state')).toBe('open');
    expect(await alert.textContent()).toContain('critical');
  });

  it('lets the manager edit the board again: a gauge, a device table and a command button that reaches the device', async () => {
    await device.answerCommands();
    const page = await browser.newUserPage();
    await signIn(page, managerLogin.username, managerLogin.password);
    await page.goto(`${stack.urls.http}/#/boards/${boardId}`);
    await page.getByRole('button', { name: 'Edit dashboard' }).click();
    await page.getByLabel('Widget kind').selectOption({ label: 'Command button' });
    await page.getByRole('button', { name: 'Add widget' }).click();
    const button = widget(page, 'command');
    await button.getByLabel('Device').selectOption(deviceId);
    await button.getByLabel('Command', { exact: true }).fill('vent');
    await button.getByLabel('Button label').fill('Vent the press');
    await page.getByLabel('Widget kind').selectOption({ label: 'Gauge' });
    await page.getByRole('button', { name: 'Add widget' }).click();
    const gauge = widget(page, 'gauge');
    await gauge.getByLabel('Device').selectOption(deviceId);
    await gauge.getByLabel('Metric').fill('temperature');
    await gauge.getByLabel('Maximum').fill('120');
    await page.getByLabel('Widget kind').selectOption({ label: 'Device table' });
    await page.getByRole('button', { name: 'Add widget' }).click();
    await widget(page, 'devices').getByLabel('Metric').fill('temperature');
    await page.screenshot({ path: `${SHOTS}boards-builder.png`, fullPage: false });
    await page.getByRole('button', { name: 'Save dashboard' }).click();
    await page.getByRole('button', { name: 'Edit dashboard' }).waitFor({ timeout: WAIT.timeoutMs });
    await waitForText(gauge.locator('[data-metric="temperature"]'), (t) => t === '93.4', 'gauge value');
    const row = widget(page, 'devices').locator(`tr[data-device-id="${deviceId}"]`);
    await waitForText(row.locator('[data-metric="temperature"]'), (t) => t === '93.4', 'device table value');
    expect(await row.textContent()).toContain('Press 7 controller');

    await button.getByRole('button', { name: 'Vent the press' }).click();
    await waitForText(
      button.getByRole('status'),
      (t) => t.includes('vent') && t.includes('replied'),
      'command replied',
    );
    const { items } = await manager.call<{ items: Array<{ name: string; status: string }> }>(
      'GET',
      `/api/devices/${encodeURIComponent(deviceId)}/commands`,
    );
    expect(items[0]).toMatchObject({ name: 'vent', status: 'replied' });
    await page.screenshot({ path: `${SHOTS}boards.png`, fullPage: true });
  });

  it('shows the board to a viewer of the tenant, live, without letting them edit it', async () => {
    const page = await browser.newUserPage();
    await signIn(page, viewerLogin.username, viewerLogin.password);
    await page.getByRole('link', { name: 'Dashboards' }).click();
    await page.getByRole('link', { name: 'Press 7 overview' }).click();
    const value = widget(page, 'latest').locator('[data-metric="temperature"]');
    await waitForText(value, (t) => t === '93.4', 'viewer sees the value');
    await device.send({ temperature: 94.1 });
    await waitForText(value, (t) => t === '94.1', 'viewer sees it live');
    expect(await page.getByRole('button', { name: 'Edit dashboard' }).count()).toBe(0);
    // a viewer sees the command button, not enabled (the API would refuse the command too)
    expect(await widget(page, 'command').getByRole('button', { name: 'Vent the press' }).isDisabled()).toBe(true);
    // a phone: one widget per row, no sideways scrolling
    await page.setViewportSize({ width: 390, height: 844 });
    await waitFor(
      async () => (await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)) <= 0,
      {
        ...WAIT,
        message: 'board fits 390 px',
      },
    );
    await page.goto(`${stack.urls.http}/#/boards`);
    await page.getByRole('heading', { name: 'Dashboards' }).waitFor();
    expect(await page.getByRole('button', { name: 'Create dashboard' }).count()).toBe(0);

    // the server decides, not the missing button
    const body = { name: 'Mine', layout: { widgets: [] }, version: 3 };
    expect(await viewer.status('PUT', `/api/dashboards/${boardId}`, body)).toBe(403);
    expect(await viewer.status('DELETE', `/api/dashboards/${boardId}`)).toBe(403);
    expect(await viewer.status('POST', '/api/dashboards', { name: 'Mine' })).toBe(403);
    const still = await manager.call<{ version: number; layout: { widgets: unknown[] } }>(
      'GET',
      `/api/dashboards/${boardId}`,
    );
    expect(still).toMatchObject({ version: 3 });
    expect(still.layout.widgets.map((w) => (w as { kind: string }).kind)).toEqual([
      'latest',
      'chart',
      'alerts',
      'command',
      'gauge',
      'devices',
    ]);
  });

  it('keeps the board from another tenant', async () => {
    await expect(otherTenant.call('GET', `/api/dashboards/${boardId}`)).rejects.toThrow(/answered 404/);
    expect(await otherTenant.status('PUT', `/api/dashboards/${boardId}`, { name: 'x', version: 3 })).toBe(404);
    const list = await otherTenant.call<{ items: Array<{ id: string }> }>('GET', '/api/dashboards');
    expect(list.items.map((d) => d.id)).not.toContain(boardId);
  });
});
