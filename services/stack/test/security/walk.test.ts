import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTwoWorlds, type World } from '../../../api/test/fixtures.js';
import { type Harness, TEST_SECRET } from '../../../api/test/helpers.js';
import { record } from './figures.js';

interface Operation {
  parameters?: { name: string; in: 'path' | 'query'; schema?: { type?: string; enum?: unknown[] } }[];
  requestBody?: { content?: Record<string, { example?: unknown }> };
}
type Doc = { paths: Record<string, Record<string, Operation>> };

/**
 * Generated from the served OpenAPI document (GET /openapi.json), so a route added tomorrow is
 * walked tomorrow (#20): every operation whose path takes an id, called by tenant B's users with
 * tenant A's ids (403/404 and never A's data); every query filter of every GET, fed SQL injection
 * (never 5xx, never A's data); and forged JWTs against the API.
 */
describe('security: walks generated from the OpenAPI document', () => {
  let h: Harness;
  let a: World;
  let b: World;
  let doc: Doc;
  beforeAll(async () => {
    ({ h, a, b } = await startTwoWorlds());
    doc = (await h.req('get', '/openapi.json')).body as Doc;
    // ids of resources newer than the shared fixtures (services/api/test/fixtures.ts), made here
    if (doc.paths['/api/devices/{deviceId}/commands/{commandId}'] && !a.ids.commandId) {
      const sent = await h.req('post', `/api/devices/${a.ids.deviceId}/commands`, {
        token: a.tenant.users.admin.token,
        body: { name: 'refill_request', params: { level: 100 }, ttl: 600 },
      });
      expect(sent.status, sent.text).toBe(201);
      a.ids.commandId = String(sent.body.id ?? sent.body.commandId);
    }
  });
  afterAll(async () => h?.close());

  /** Strings only tenant A's rows hold: its name, and the unique reading value in its telemetry. */
  const leaksA = (text: string) => text.includes(a.tenant.name);

  it('cross-tenant: every id-taking operation refuses another tenant’s ids, for every role', async () => {
    const failures: string[] = [];
    let tried = 0;
    let refused = 0;
    for (const [path, ops] of Object.entries(doc.paths)) {
      if (!path.includes('{')) continue;
      for (const [method, op] of Object.entries(ops)) {
        const filled = path.replace(/\{(\w+)\}/g, (_, name: string) => {
          const v = a.ids[name];
          if (!v)
            failures.push(`${method} ${path}: no fixture for {${name}} (add it to services/api/test/fixtures.ts)`);
          return encodeURIComponent(v ?? 'missing');
        });
        const body = op.requestBody?.content?.['application/json']?.example;
        for (const role of ['admin', 'manager', 'operator', 'viewer'] as const) {
          tried++;
          const res = await h.req(method, filled, { token: b.tenant.users[role].token, body });
          if (res.status >= 500) failures.push(`${method} ${filled} as Beta ${role}: ${res.status}`);
          else if (res.status < 400) failures.push(`${method} ${filled} as Beta ${role}: ${res.status} (not refused)`);
          else if (leaksA(res.text)) failures.push(`${method} ${filled} as Beta ${role}: leaked Alpha's data`);
          else refused++;
        }
      }
    }
    record('cross_tenant_openapi', { tried, refused, leaked: tried - refused });
    expect(failures).toEqual([]);
    expect(tried).toBeGreaterThan(200);
  });

  it('SQL injection in every query filter of every GET answers 4xx or clean data, never 5xx or another tenant', async () => {
    const payloads = [
      "' OR '1'='1",
      "'; DROP TABLE users; --",
      "1' UNION SELECT id, name FROM tenants --",
      "') OR 1=1 --",
      "x'::text); SELECT pg_sleep(5); --",
    ];
    const failures: string[] = [];
    let tried = 0;
    for (const [path, ops] of Object.entries(doc.paths)) {
      const op = ops.get;
      if (!op) continue;
      const filled = path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(b.ids[name] ?? 'missing'));
      for (const p of (op.parameters ?? []).filter((x) => x.in === 'query')) {
        for (const payload of payloads) {
          tried++;
          const res = await h.req('get', `${filled}?${p.name}=${encodeURIComponent(payload)}`, {
            token: b.tenant.users.admin.token,
          });
          if (res.status >= 500) failures.push(`GET ${filled}?${p.name}=${payload}: ${res.status}`);
          else if (leaksA(res.text)) failures.push(`GET ${filled}?${p.name}=${payload}: leaked Alpha's data`);
        }
      }
    }
    record('sql_injection_filters', { tried, refused: tried - failures.length, leaked: failures.length });
    expect(failures).toEqual([]);
    expect(tried).toBeGreaterThan(200);
    // and the tables are all still there
    expect((await h.req('get', '/api/users', { token: b.tenant.users.admin.token })).status).toBe(200);
  }, 240_000);

  it('forged JWTs are refused', async () => {
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const victim = a.tenant.users.admin;
    const claims = {
      sub: victim.id,
      tid: a.tenant.id,
      role: 'admin',
      iss: 'telemetry',
      aud: 'telemetry',
      jti: 'j1',
      iat: now,
      exp: now + 600,
    };
    const sign = (header: unknown, payload: unknown, secret = TEST_SECRET, alg = 'sha256') => {
      const data = `${b64(header)}.${b64(payload)}`;
      return `${data}.${createHmac(alg, secret).update(data).digest('base64url')}`;
    };
    const [h0, p0, s0] = victim.token.split('.') as [string, string, string];
    const forgeries: Record<string, string> = {
      'alg none': `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`,
      'alg None': `${b64({ alg: 'None', typ: 'JWT' })}.${b64(claims)}.`,
      'HS256 wrong secret': sign({ alg: 'HS256', typ: 'JWT' }, claims, 'not-the-secret-0123456789-0123456789'),
      'HS512 (not pinned)': sign({ alg: 'HS512', typ: 'JWT' }, claims, TEST_SECRET, 'sha512'),
      'RS256 header, HMAC body (key confusion)': sign({ alg: 'RS256', typ: 'JWT' }, claims),
      expired: sign({ alg: 'HS256', typ: 'JWT' }, { ...claims, exp: now - 60, iat: now - 1000 }),
      'wrong issuer': sign({ alg: 'HS256', typ: 'JWT' }, { ...claims, iss: 'evil' }),
      'wrong audience': sign({ alg: 'HS256', typ: 'JWT' }, { ...claims, aud: 'evil' }),
      'payload swapped (role raised)': `${h0}.${b64({ ...JSON.parse(Buffer.from(p0, 'base64url').toString()), role: 'admin', tid: null })}.${s0}`,
      'signature stripped': `${h0}.${p0}.`,
      'signature of another token': `${h0}.${p0}.${b.tenant.users.viewer.token.split('.')[2] as string}`,
      'kid path injection': sign({ alg: 'HS256', typ: 'JWT', kid: '../../../../dev/null' }, claims, ''),
      'jku header': sign({ alg: 'HS256', typ: 'JWT', jku: 'http://evil.example/jwks' }, claims, 'x'),
      'not a JWT': 'not.a.jwt',
      empty: '',
      'garbage base64': '%%%.%%%.%%%',
      'unknown user': sign({ alg: 'HS256', typ: 'JWT' }, { ...claims, sub: '00000000-0000-4000-8000-000000000000' }),
      'sid not ours': sign({ alg: 'HS256', typ: 'JWT' }, { ...claims, sid: 'not-a-uuid' }),
    };
    const accepted: string[] = [];
    for (const [name, token] of Object.entries(forgeries)) {
      const res = await h.req('get', '/api/auth/me', { headers: { authorization: `Bearer ${token}` } });
      if (res.status !== 401) accepted.push(`${name}: ${res.status}`);
    }
    const tried = Object.keys(forgeries).length;
    record('jwt_forgeries', { tried, refused: tried - accepted.length, leaked: accepted.length });
    expect(accepted).toEqual([]);
  });
});
