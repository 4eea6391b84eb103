import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { uniqueName, waitFor } from '@telemetry/testing';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api } from './api.js';
import type { TestBrowser } from './browser.js';
import { openE2e, type SharedStack, signIn as signInAt } from './shared.js';

/**
 * The admin workflows in a real browser against the real stack (#21): the platform admin creates
 * a tenant (and its operatorsSeeAll setting), a site with an asset tree, invites a manager and an
 * operator, changes a role and resets a password; the manager renames, moves and deletes assets
 * (a non-empty one is refused with what is in it); the audit page shows those actions filtered;
 * an operator sees no admin actions and the server refuses them. One stack for the file.
 */
const SHOTS = fileURLToPath(new URL('./screenshots/', import.meta.url));
const WAIT = { timeoutMs: 20_000 };

let stack: SharedStack;
let browser: TestBrowser;
let admin: Api;
const tenantName = uniqueName('Car plant');
const manager = { username: uniqueName('mia'), password: '', newPassword: 'manager-password-1', id: '' };
const operator = { username: uniqueName('olga'), password: '', newPassword: 'operator-password-1', id: '' };

const signIn = (page: Page, username: string, password: string) => signInAt(page, stack.urls.http, username, password);

/** The first sign-in of an invited person: their own password, then the profile. */
async function firstSignIn(page: Page, who: { username: string; password: string; newPassword: string }) {
  await signIn(page, who.username, who.password);
  await page.getByRole('heading', { name: 'Choose your own password' }).waitFor();
  await page.getByLabel('Current (generated) password').fill(who.password);
  await page.getByLabel('New password', { exact: true }).fill(who.newPassword);
  await page.getByLabel('Repeat the new password').fill(who.newPassword);
  await page.getByRole('button', { name: 'Save password' }).click();
  await page.getByRole('heading', { name: 'Complete your profile' }).waitFor();
  await page.getByLabel('First name').fill(who.username);
  await page.getByLabel('Last name').fill('Tester');
  await page.getByLabel('Email').fill(`${who.username}@example.com`);
  await page.getByRole('button', { name: 'Save and continue' }).click();
  await page.getByRole('heading', { name: 'Fleet' }).waitFor();
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `${SHOTS}${name}.png`, fullPage: false });
}

async function tenantId(): Promise<string> {
  const list = await admin.call<{ items: { id: string; name: string }[] }>('GET', '/api/tenants?limit=500');
  const t = list.items.find((x) => x.name === tenantName);
  if (!t) throw new Error(`tenant ${tenantName} not found`);
  return t.id;
}

async function assetsOfTenant(): Promise<{ id: string; name: string; parentId: string | null }[]> {
  const res = await admin.call<{ items: { id: string; name: string; parentId: string | null }[] }>(
    'GET',
    `/api/assets?limit=500&tenantId=${await tenantId()}`,
  );
  return res.items;
}

beforeAll(async () => {
  await mkdir(SHOTS, { recursive: true });
  ({ stack, admin, browser } = await openE2e());
}, 180_000);

afterAll(async () => {
  await browser?.close();
}, 60_000);

describe('admin workflows in a browser', () => {
  it('platform admin: creates a tenant, a site with an asset tree, invites people, changes a role, resets a password', async () => {
    const page = await browser.newUserPage();
    await signIn(page, stack.admin.username, stack.admin.password);
    await page.getByRole('link', { name: 'Tenants' }).click();
    await page.getByRole('heading', { name: 'Tenants' }).waitFor();
    await page.getByLabel('Tenant name').fill(tenantName);
    await page.getByLabel('Tenant time zone').fill('Europe/Berlin');
    await page.getByRole('button', { name: 'Create tenant' }).click();
    const panel = page.getByRole('form', { name: `Edit ${tenantName}` });
    await panel.getByLabel('Operators see every alert and task').check();
    await panel.getByRole('button', { name: 'Save tenant' }).click();
    await page.getByText('Saved.').waitFor();
    const tenant = await admin.call<{ settings: { operatorsSeeAll?: boolean } }>(
      'GET',
      `/api/tenants/${await tenantId()}`,
    );
    expect(tenant.settings.operatorsSeeAll).toBe(true);
    await shot(page, 'tenants');

    // the site and its tree, in the tenant picked as the working one
    await page.getByRole('link', { name: 'Sites and assets' }).click();
    await page.getByLabel('Tenant', { exact: true }).selectOption({ label: tenantName });
    await page.getByLabel('Site name').fill('Plant Nord');
    await page.getByLabel('Time zone').fill('Europe/Berlin');
    await page.getByRole('button', { name: 'Add site' }).click();
    await page.getByRole('heading', { name: /Plant Nord/ }).waitFor();
    for (const [name, type, inside] of [
      ['Hall 1', 'floor', ''],
      ['Line A', 'line', 'Hall 1 (floor)'],
      ['Press 7', 'machine', 'Line A (line)'],
    ] as const) {
      await page.getByLabel('New asset name').fill(name);
      await page.getByLabel('Type', { exact: true }).fill(type);
      if (inside) await page.getByLabel('Inside').selectOption({ label: inside });
      await page.getByRole('button', { name: 'Add asset' }).click();
      await page.getByRole('button', { name: `Delete ${name}` }).waitFor();
    }
    const tree = await assetsOfTenant();
    const byName = (n: string) => tree.find((a) => a.name === n);
    expect(byName('Press 7')?.parentId).toBe(byName('Line A')?.id);
    expect(byName('Line A')?.parentId).toBe(byName('Hall 1')?.id);
    await shot(page, 'sites');

    // invite a manager and (as a viewer first) an operator; credentials are shown once
    await page.getByRole('link', { name: 'Users' }).click();
    await page.getByRole('heading', { name: 'Users' }).waitFor();
    for (const [who, role] of [
      [manager, 'manager'],
      [operator, 'viewer'],
    ] as const) {
      await page.getByLabel('Role', { exact: true }).selectOption(role);
      await page.getByLabel('Username').fill(who.username);
      await page.getByRole('button', { name: 'Create user' }).click();
      await page.getByTestId('new-username').getByText(who.username).waitFor();
      who.password = (await page.getByTestId('new-password').textContent()) ?? '';
      expect(who.password.length).toBeGreaterThan(8);
    }
    const users = await admin.call<{ items: { id: string; username: string; role: string }[] }>(
      'GET',
      `/api/users?limit=500&tenantId=${await tenantId()}`,
    );
    manager.id = users.items.find((u) => u.username === manager.username)?.id ?? '';
    operator.id = users.items.find((u) => u.username === operator.username)?.id ?? '';

    await page.getByLabel(`Role of ${operator.username}`).selectOption('operator');
    await waitFor(
      async () =>
        (await admin.call<{ role: string }>('GET', `/api/users/${operator.id}`)).role === 'operator' ? true : null,
      { ...WAIT, message: 'role changed' },
    );
    await page.getByRole('button', { name: `Reset password of ${operator.username}` }).click();
    await page.getByText(`${operator.username} has a new password`).waitFor();
    const reset = (await page.getByTestId('new-password').textContent()) ?? '';
    expect(reset).not.toBe(operator.password);
    operator.password = reset;
    // the operator works on the press
    await page.getByRole('button', { name: `Assignments of ${operator.username}` }).click();
    await page.getByLabel('Assign to').selectOption({ label: 'Press 7 (machine)' });
    await page.getByRole('button', { name: 'Assign', exact: true }).click();
    await page.getByRole('button', { name: 'Unassign Press 7 (machine)' }).waitFor();
    await shot(page, 'users');
  });

  it('manager: renames, moves and deletes assets; a non-empty one is refused with what is in it', async () => {
    const page = await browser.newUserPage();
    await firstSignIn(page, manager);
    await page.getByRole('link', { name: 'Sites and assets' }).click();
    await page.getByRole('heading', { name: /Plant Nord/ }).waitFor();
    expect(await page.getByRole('heading', { name: 'Working tenant' }).count()).toBe(0);

    await page.getByRole('button', { name: 'Edit Press 7' }).click();
    const edit = page.getByRole('form', { name: 'Edit Press 7' });
    await edit.getByLabel('Name', { exact: true }).fill('Press 7b');
    await edit.getByLabel('Move into').selectOption({ label: 'Hall 1 (floor)' });
    await edit.getByRole('button', { name: 'Save asset' }).click();
    await page.getByRole('button', { name: 'Delete Press 7b' }).waitFor();

    await page.getByRole('button', { name: 'Delete Hall 1' }).click();
    const refusal = page.getByRole('alert').filter({ hasText: 'Hall 1 is not empty' });
    await refusal.waitFor();
    expect(await refusal.textContent()).toContain('2 asset(s) under it');
    await page.getByRole('button', { name: 'Keep it' }).click();
    await page.getByRole('button', { name: 'Delete Line A' }).click();
    await waitFor(
      async () => ((await page.getByRole('button', { name: 'Delete Line A' }).count()) === 0 ? true : null),
      {
        ...WAIT,
        message: 'Line A gone from the tree',
      },
    );
    const tree = await assetsOfTenant();
    expect(tree.map((a) => a.name).sort()).toEqual(['Hall 1', 'Press 7b']);
    expect(tree.find((a) => a.name === 'Press 7b')?.parentId).toBe(tree.find((a) => a.name === 'Hall 1')?.id);
  });

  it('platform admin: the audit page shows those actions, filtered by actor and resource', async () => {
    const page = await browser.newUserPage();
    await signIn(page, stack.admin.username, stack.admin.password);
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.getByLabel('Tenant', { exact: true }).selectOption({ label: tenantName });
    const rows = page.getByRole('table', { name: 'Audit entries' }).locator('tbody tr');
    await rows.first().waitFor();
    await page.getByLabel('Actor').selectOption({ label: manager.username });
    await page.getByLabel('Resource').selectOption('asset');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    const actions = async () =>
      (await rows.locator('td:nth-child(3)').allTextContents()).map((t) => t.trim()).join(',');
    await waitFor(async () => ((await actions()) === 'delete,move' ? true : null), {
      ...WAIT,
      message: `the manager's asset actions (saw ${await actions()})`,
    });
    expect((await rows.locator('td:nth-child(2)').allTextContents()).every((t) => t === manager.username)).toBe(true);
    await shot(page, 'audit');

    // the admin's own user changes, by action
    await page.getByLabel('Actor').selectOption({ label: 'Anyone' });
    await page.getByLabel('Resource').selectOption('user');
    await page.getByLabel('Action').fill('reset_password,update');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await waitFor(async () => ((await actions()) === 'reset password,update' ? true : null), {
      ...WAIT,
      message: `role change and reset (saw ${await actions()})`,
    });
  });

  it('operator: no admin actions in the UI, and the server refuses them', async () => {
    const page = await browser.newUserPage();
    await firstSignIn(page, operator);
    const nav = page.getByRole('navigation', { name: 'Main' });
    // (rules are readable by operators: that page stays, read-only)
    for (const link of ['Users', 'Sites and assets', 'Tenants', 'Audit log'])
      expect(await nav.getByRole('link', { name: link }).count(), link).toBe(0);
    // a deep link shows nothing to act on either: the page's writes are refused by the server
    const api = await Api.login(stack.urls.http, operator.username, operator.newPassword);
    const tid = await tenantId();
    const press = (await assetsOfTenant()).find((a) => a.name === 'Press 7b');
    expect(await api.status('POST', '/api/sites', { name: 'Sneaky' })).toBe(403);
    expect(await api.status('PATCH', `/api/assets/${press?.id}`, { name: 'x' })).toBe(403);
    expect(await api.status('DELETE', `/api/assets/${press?.id}`)).toBe(403);
    expect(await api.status('POST', '/api/users', { role: 'viewer' })).toBe(403);
    expect(await api.status('POST', `/api/users/${manager.id}/reset-password`)).toBe(403);
    expect(await api.status('PATCH', `/api/tenants/${tid}`, { settings: {} })).toBe(403);
    const audit = await api.call('GET', '/api/audit').catch((err: Error) => err.message);
    expect(audit).toMatch(/answered 403/);
  });
});
