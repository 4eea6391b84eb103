import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startApi, type TenantFixture } from './helpers.js';

// Issue 18: a rule may carry the command it sends when it fires; the API validates it.
describe('rules with a command', () => {
  let h: Harness;
  let t: TenantFixture;
  beforeAll(async () => {
    h = await startApi();
    t = await h.tenant('RuleCmd');
    await h.test.store.pool.query(`INSERT INTO devices (id, tenant_id, state) VALUES ('rulecmd-1', $1, 'active')`, [
      t.id,
    ]);
  });
  afterAll(async () => h?.close());

  it('stores a valid command with its defaults, refuses a malformed one, and clears it with null', async () => {
    const base = {
      name: 'Refill',
      kind: 'threshold',
      deviceId: 'rulecmd-1',
      metric: 'level',
      operator: '<',
      threshold: 10,
    };
    const created = await h.req('post', '/api/rules', {
      token: t.users.manager.token,
      body: { ...base, command: { name: 'refill_request' } },
    });
    expect(created.status, created.text).toBe(201);
    expect(created.body.command).toEqual({ name: 'refill_request', params: {}, ttlS: 3600 });

    const bad = await h.req('post', '/api/rules', {
      token: t.users.manager.token,
      body: { ...base, command: { name: 'rm -rf', ttlS: 0 } },
    });
    expect(bad.status).toBe(400);

    const cleared = await h.req('patch', `/api/rules/${created.body.id}`, {
      token: t.users.manager.token,
      body: { command: null },
    });
    expect(cleared.status, cleared.text).toBe(200);
    expect(cleared.body.command).toBeNull();
  });
});
