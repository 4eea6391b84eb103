import type { Page } from 'playwright-core';
import { inject } from 'vitest';
import { Api } from './api.js';
import { launchBrowser, type TestBrowser } from './browser.js';
import type { SharedStack } from './global-setup.js';

export type { SharedStack };

declare module 'vitest' {
  export interface ProvidedContext {
    e2eStack: SharedStack;
  }
}

/**
 * What an e2e file starts with: the run's one stack, its platform admin signed in over the API
 * (to set up the file's own tenant) and a browser of the file's own. Close the browser in afterAll;
 * the stack is the global setup's to stop.
 */
export async function openE2e(): Promise<{ stack: SharedStack; admin: Api; browser: TestBrowser }> {
  const stack = inject('e2eStack');
  const admin = await Api.login(stack.urls.http, stack.admin.username, stack.admin.password);
  return { stack, admin, browser: await launchBrowser() };
}

/** Signs in through the dashboard's sign-in form (it does not wait for what comes next). */
export async function signIn(page: Page, baseUrl: string, username: string, password: string): Promise<void> {
  await page.goto(baseUrl);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}
