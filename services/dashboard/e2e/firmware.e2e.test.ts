import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { uniqueName, waitFor } from '@telemetry/testing';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Api } from './api.js';
import type { TestBrowser } from './browser.js';
import { openE2e, type SharedStack, signIn as signInAt } from './shared.js';

/**
 * A firmware rollout from the dashboard (#18): a manager uploads an image and rolls it out to a
 * simulated device, which drops its download midway, resumes it with Range, checks the sha256
 * and reports "updated"; the rollout page shows it. Screenshot: e2e/screenshots/rollout.png.
 */
const SHOTS = fileURLToPath(new URL('./screenshots/', import.meta.url));
const WAIT = { timeoutMs: 30_000 };
const SEEN = { timeout: WAIT.timeoutMs };
const SIZE = 600_000;

/** What the e2e uses of simulator/src (a path the compiler does not follow, as stack.ts does). */
interface SimFleet {
  start(): Promise<void>;
  stop(): Promise<unknown>;
  devices(): { deviceId: string | undefined; phase: string }[];
}
type CreateFleet = (o: Record<string, unknown>) => SimFleet;

let stack: SharedStack;
let browser: TestBrowser;
let fleet: SimFleet | undefined;
let admin: Api;
let stateDir: string;
let tenantId: string;
const managerLogin = { username: uniqueName('ota-manager'), password: 'manager-password-1' };

const signIn = (page: Page, username: string, password: string) => signInAt(page, stack.urls.http, username, password);

beforeAll(async () => {
  await mkdir(SHOTS, { recursive: true });
  stateDir = await mkdtemp(join(tmpdir(), 'firmware-e2e-sim-'));
  ({ stack, admin, browser } = await openE2e());
  const tenant = await admin.call<{ id: string }>('POST', '/api/tenants', { name: uniqueName('Pumps') });
  tenantId = tenant.id;
  await admin.call('POST', '/api/users', {
    tenantId,
    role: 'manager',
    ...managerLogin,
    firstName: 'Mia',
    lastName: 'Manager',
  });
}, 180_000);

afterAll(async () => {
  await fleet?.stop().catch(() => {});
  await browser?.close();
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
});

describe('firmware rollout in the dashboard', () => {
  it('uploads an image, rolls it out, and the simulated device resumes its download and is updated', async () => {
    // the simulator's device: says hello (pending), an admin assigns it, it comes online over MQTT
    const entry = new URL('../../../simulator/src/index.ts', import.meta.url).href;
    const { createFleet } = (await import(entry)) as { createFleet: CreateFleet };
    fleet = createFleet({
      apiUrl: stack.urls.http,
      mqttUrl: stack.urls.mqtt,
      devices: 1,
      profile: 'machine',
      ratePerDevice: 0.5,
      eventsPerDevice: 5,
      macNamespace: 0x0e,
      stateDir,
      handshakeRetryMs: 300,
      // the link drops after 200 kB of the 600 kB image: the device must resume with Range
      firmwareFaults: { dropAfterBytes: 200_000 },
    });
    const started = fleet.start();
    const device = await waitFor(
      async () => {
        const page = await admin.call<{ items: { id: string; mac: string | null }[] }>(
          'GET',
          '/api/devices?state=pending&limit=500',
        );
        return page.items.find((d) => d.mac?.startsWith('02:53:0E'));
      },
      { ...WAIT, message: 'the simulated device says hello' },
    );
    await admin.call('POST', `/api/devices/${encodeURIComponent(device.id)}/assign`, { tenantId, name: 'Pump 1' });
    await started;
    await waitFor(() => fleet?.devices()[0]?.phase === 'online', { ...WAIT, message: 'device online' });

    const page = await browser.newUserPage();
    await signIn(page, managerLogin.username, managerLogin.password);
    await page.getByRole('heading', { name: 'Fleet' }).waitFor();
    await page.getByRole('link', { name: 'Firmware' }).click();
    await page.getByRole('heading', { name: 'Firmware' }).waitFor();

    await page.getByLabel('Device type').fill('generic');
    await page.getByLabel('Version').fill('2.0.0');
    await page.getByLabel('Image file').setInputFiles({
      name: 'pump-2.0.0.bin',
      mimeType: 'application/octet-stream',
      buffer: randomBytes(SIZE),
    });
    await page.getByRole('button', { name: 'Upload' }).click();
    const row = page.locator('tr[data-image-id]', { hasText: '2.0.0' });
    await row.waitFor(SEEN);
    expect(await row.textContent()).toContain('KiB');

    await row.getByRole('button', { name: 'Roll out' }).click();
    await page.getByLabel('Devices').fill(device.id);
    await page.getByRole('button', { name: 'Start rollout' }).click();
    await page.getByRole('heading', { name: /Rollout of generic 2\.0\.0/ }).waitFor(SEEN);

    // the page polls while the rollout is active: the device row ends "updated"
    const deviceRow = page.locator(`tr[data-device-id="${device.id}"]`);
    await page.locator(`tr[data-device-id="${device.id}"][data-state="updated"]`).waitFor(SEEN);
    const cells = await deviceRow.locator('td').allTextContents();
    expect(cells[2]).toContain('100%');
    // two requests at least: the one the link dropped, and the resumed range
    expect(Number(cells[3])).toBeGreaterThanOrEqual(2);
    await page.getByRole('heading', { name: /done/ }).waitFor(SEEN);
    await page.screenshot({ path: `${SHOTS}rollout.png`, fullPage: false });

    const after = await admin.call<{ firmware?: string; device?: { firmware: string } }>(
      'GET',
      `/api/devices/${encodeURIComponent(device.id)}`,
    );
    expect(after.firmware ?? after.device?.firmware).toBe('2.0.0');
  }, 120_000);
});
