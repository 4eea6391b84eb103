import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnyRoute } from '../src/index.js';
import { type Harness, startApi } from './helpers.js';

/**
 * Every JSON success of a route has a response schema (@telemetry/api-contract), so the OpenAPI
 * document and the dashboard's types say what the API answers (#17). The routes not described
 * yet are listed in response-schemas.todo.txt: a resource that gets its schemas removes its
 * lines, and the list may only shrink (a listed route that has a schema fails too).
 */
const todo = new Set(
  readFileSync(new URL('./response-schemas.todo.txt', import.meta.url), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#')),
);
const key = (r: AnyRoute) => `${r.method} ${r.path}`;
const answersJson = (r: AnyRoute) =>
  r.produces !== 'csv' && r.produces !== 'binary' && r.produces !== 'none' && r.status !== 204;

describe('response schemas', () => {
  let h: Harness;
  beforeAll(async () => {
    // with the device endpoints (createDeviceRoutes), as in production: they are in the table too
    h = await startApi('embedded', { deviceRoutes: undefined });
  });
  afterAll(() => h?.close());

  it('every JSON success response has a schema, or is on the shrinking to-do list', () => {
    const routes = h.api.routes.routes.filter(answersJson);
    const missing = routes.filter((r) => !r.response && !todo.has(key(r))).map(key);
    expect(missing, 'give these routes a `response` schema').toEqual([]);
    const done = routes.filter((r) => r.response && todo.has(key(r))).map(key);
    expect(done, 'these have a schema now: remove them from response-schemas.todo.txt').toEqual([]);
    const known = new Set(routes.map(key));
    expect(
      [...todo].filter((k) => !known.has(k)),
      'no such JSON route: remove from the to-do list',
    ).toEqual([]);
  });

  it('every success response of the OpenAPI document has its media type and a schema (204: no body)', async () => {
    const doc = (await h.req('get', '/openapi.json')).body as {
      paths: Record<
        string,
        Record<string, { responses: Record<string, { content?: Record<string, { schema?: object }> }> }>
      >;
    };
    const bare: string[] = [];
    let successes = 0;
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        for (const [status, res] of Object.entries(op.responses)) {
          if (!status.startsWith('2')) continue;
          successes++;
          const media = Object.values(res.content ?? {});
          const described =
            status === '204'
              ? res.content === undefined
              : media.length > 0 && media.every((m) => m.schema && Object.keys(m.schema).length > 0);
          if (!described) bare.push(`${method} ${path} ${status}`);
        }
      }
    }
    expect(successes).toBeGreaterThan(h.api.routes.routes.length - 1);
    // the to-do list's JSON routes only, while it exists
    const allowed = new Set([...todo].map((k) => `${k.replace(/:(\w+)/g, '{$1}')} `));
    expect(
      bare.filter((b) => ![...allowed].some((a) => b.startsWith(a))),
      'a success without a schema',
    ).toEqual([]);
    const image = doc.paths['/api/device/firmware/image']?.get?.responses;
    expect(Object.keys(image?.['206']?.content ?? {})).toEqual(['application/octet-stream']);
    const ndjson = doc.paths['/api/telemetry/import']?.post?.responses['200']?.content;
    expect(Object.keys(ndjson ?? {})).toEqual(['application/json', 'application/x-ndjson']);
  });

  it('the OpenAPI document carries each schema', async () => {
    const doc = (await h.req('get', '/openapi.json')).body;
    const described = h.api.routes.routes.filter((r) => answersJson(r) && r.response);
    expect(described.length).toBeGreaterThan(0);
    for (const r of described) {
      const path = r.path.replace(/:(\w+)/g, '{$1}');
      const schema = doc.paths[path][r.method].responses[String(r.status ?? 200)].content['application/json'].schema;
      expect(schema, key(r)).not.toEqual({});
    }
    const summary = doc.paths['/api/rejections/summary'].get.responses['200'].content['application/json'].schema;
    expect(summary.required).toContain('byDevice');
    // the five device endpoints, served raw before the JSON parser, are documented like the rest
    for (const path of [
      '/api/handshake/',
      '/api/device/events/',
      '/api/iot/',
      '/api/device/readings/',
      '/api/device/level/',
    ]) {
      expect(doc.paths[path]?.post?.responses['200'], path).toBeDefined();
    }
    const iot = doc.paths['/api/iot/'].post;
    expect(Object.keys(iot.requestBody.content)).toEqual(['application/x-www-form-urlencoded']);
    expect(doc.paths['/api/device/events/'].post.security).toEqual([{ device: [] }]);
  });
});
