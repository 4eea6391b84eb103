import type { TestProject } from 'vitest/node';
import { Api } from './api.js';
import { startTestStack } from './stack.js';

/** The stack every e2e file shares (global-setup.ts), as the files see it: addresses and its platform admin. */
export interface SharedStack {
  urls: { http: string; mqtt: string };
  admin: { username: string; password: string };
}

/** The platform admin after the first sign-in. */
const ADMIN = {
  password: 'admin-password-1',
  profile: { firstName: 'Ada', lastName: 'Admin', email: 'admin@example.com' },
};

/**
 * Global setup of the e2e project: ONE stack for every e2e file of the run (each started its own,
 * ~60 s apiece under load: #17), its first admin past the first sign-in (own password, profile).
 * Files isolate by tenant: each creates its own, with its own people and devices (unique names,
 * MACs of their own). fleet.e2e.test.ts keeps a stack of its own: it writes 10,000 devices through
 * the store's pool, which the test workers cannot reach, and times the table on a quiet stack.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  const stack = await startTestStack();
  try {
    if (!stack.admin) throw new Error('the stack created no first admin on a fresh data dir');
    const admin = await Api.login(stack.urls.http, stack.admin.username, stack.admin.password);
    // the first admin's password was generated and printed once: it is replaced at first sign-in
    await admin.call('POST', '/api/auth/password', {
      currentPassword: stack.admin.password,
      newPassword: ADMIN.password,
    });
    await admin.call('PUT', '/api/auth/profile', ADMIN.profile);
    const shared: SharedStack = {
      urls: stack.urls,
      admin: { username: stack.admin.username, password: ADMIN.password },
    };
    project.provide('e2eStack', shared);
  } catch (err) {
    await stack.close();
    throw err;
  }
  console.log(`[e2e global-setup] one stack for the e2e files at ${stack.urls.http} in ${Date.now() - started} ms`);
  return () => stack.close();
}
