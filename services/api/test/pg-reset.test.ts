import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startApi, type TenantFixture } from './helpers.js';

/**
 * #15: PostgreSQL resets the api's connections (pg_terminate_backend from another session) again
 * and again while users read and write. The process lives on (an unhandled 'error' fails the
 * vitest run); a request caught by a cut is refused as 503 problem+json with Retry-After, never a
 * 500 and never a hang; a write either happened (with its audit entry) or did not; once the cuts
 * stop everything answers again.
 */
// RESILIENCE_SOAK=1: the long version
const CUTS = process.env.RESILIENCE_SOAK === '1' ? 200 : 15;
let h: Harness;
let t: TenantFixture;
let killer: pg.Client;

beforeAll(async () => {
  h = await startApi('postgres');
  t = await h.tenant('PgReset');
  killer = new pg.Client({ connectionString: h.test.url });
  await killer.connect();
});
afterAll(async () => {
  await killer?.end();
  await h?.close();
});

describe('PostgreSQL resets the api’s connections', () => {
  it(
    'answers 2xx or 503 with Retry-After through the cuts, and serves again after them',
    async () => {
      const token = t.users.manager.token;
      const statuses = new Map<number, number>();
      const bad: string[] = [];
      const created: string[] = [];
      let running = true;
      let n = 0;
      const client = async () => {
        while (running) {
          const i = n++;
          const r =
            i % 3 === 0
              ? await h.req('post', '/api/sites', { token, body: { name: `site-${i}`, timezone: 'UTC' } })
              : await h.req('get', i % 3 === 1 ? '/api/sites' : '/api/alerts', { token });
          statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
          if (r.status === 201) created.push(r.body.id);
          const refused =
            r.status === 503 &&
            r.headers.get('retry-after') &&
            /problem\+json/.test(r.headers.get('content-type') ?? '');
          if (r.status >= 300 && !refused) bad.push(`${r.status} ${r.text.slice(0, 200)}`);
        }
      };
      const clients = [client(), client(), client()];
      let terminated = 0;
      for (let i = 0; i < CUTS; i++) {
        await new Promise((r) => setTimeout(r, 200));
        const { rows } = await killer.query<{ ok: boolean }>(
          'SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
        );
        terminated += rows.filter((r) => r.ok).length;
      }
      running = false;
      await Promise.all(clients);
      console.log(
        `[resilience] api vs pg_terminate_backend: ${CUTS} rounds, ${terminated} backends terminated, ${n} requests: ` +
          [...statuses].map(([s, k]) => `${k}x ${s}`).join(', '),
      );
      expect(terminated).toBeGreaterThan(0);
      expect(bad).toEqual([]);

      // after the cuts: reads and writes answer, and every created site is there with its audit entry
      const after = await h.req('post', '/api/sites', { token, body: { name: 'after', timezone: 'UTC' } });
      expect(after.status).toBe(201);
      const { rows } = await killer.query<{ id: string; audited: boolean }>(
        `SELECT s.id, EXISTS (SELECT 1 FROM audit_log a WHERE a.entity_id = s.id::text) AS audited
         FROM sites s WHERE s.tenant_id = $1`,
        [t.id],
      );
      const stored = new Set(rows.map((r) => r.id));
      expect(created.filter((id) => !stored.has(id))).toEqual([]);
      expect(rows.filter((r) => !r.audited)).toEqual([]);
    },
    CUTS * 400 + 60_000,
  );
});
