import { ErrorCodes } from '@telemetry/contracts';
import { z } from 'zod';
import type { AnyRoute } from './route-table.js';

type JsonSchema = Record<string, unknown>;

function toSchema(schema: z.ZodType, io: 'input' | 'output' = 'input'): JsonSchema {
  const json = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as JsonSchema;
  delete json.$schema;
  return json;
}

/** `/api/assets/:assetId` → `/api/assets/{assetId}` */
export function openApiPath(expressPath: string): string {
  return expressPath.replace(/:(\w+)/g, '{$1}');
}

function parameters(schema: z.ZodType | undefined, where: 'path' | 'query'): JsonSchema[] {
  if (!schema) return [];
  const json = toSchema(schema);
  const props = (json.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((json.required as string[] | undefined) ?? []);
  return Object.entries(props).map(([name, s]) => ({
    name,
    in: where,
    required: where === 'path' || (required.has(name) && s.default === undefined),
    schema: s,
    ...(typeof s.description === 'string' ? { description: s.description } : {}),
  }));
}

const PROBLEM = { $ref: '#/components/schemas/Problem' };
const problemResponse = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: PROBLEM } },
});

const BINARY = { type: 'string', format: 'binary' };

/** The success response(s) of a route, each with its media type and schema (204: no content). */
function success(r: AnyRoute, status: string): Record<string, unknown> {
  if (r.produces === 'csv') {
    return { [status]: { description: 'CSV, streamed', content: { 'text/csv': { schema: { type: 'string' } } } } };
  }
  if (r.produces === 'binary') {
    const bytes = { 'application/octet-stream': { schema: BINARY } };
    return {
      [status]: { description: 'The bytes', content: bytes },
      206: { description: 'Part of them (a `Range` request), with `Content-Range`', content: bytes },
    };
  }
  if (status === '204' || r.produces === 'none') return { [status]: { description: 'Done, no content' } };
  const content: Record<string, unknown> = {
    'application/json': { schema: r.response ? toSchema(r.response, 'output') : {} },
  };
  if (r.stream) {
    content[r.stream.contentType] = {
      schema: {
        ...toSchema(r.stream.line, 'output'),
        description: `One JSON object a line (with \`Accept: ${r.stream.contentType}\`), each one of these`,
      },
    };
  }
  return { [status]: { description: 'Success', content } };
}

/**
 * OpenAPI 3.1 built from the route table: the same zod schemas the routes validate with
 * (zod 4's toJSONSchema; OpenAPI 3.1 schemas are JSON Schema 2020-12). Every registered route
 * appears; seed-compatibility aliases carry `x-alias-of`.
 */
export function buildOpenApi(routes: AnyRoute[], info: { title: string; version: string; description?: string }) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const path = openApiPath(r.path);
    const status = String(r.status ?? 200);
    const responses: Record<string, unknown> = {
      ...success(r, status),
      400: problemResponse('Validation failed: see `errors`'),
    };
    if (r.access !== 'public') {
      responses[401] = problemResponse('Not signed in, or the token is invalid/expired');
      responses[403] = problemResponse('Not allowed for this role, or first-login setup pending');
    }
    if (r.params) responses[404] = problemResponse('Not found (also: belongs to another tenant)');
    if (r.raw) {
      responses[413] = problemResponse('Body over its limit');
      responses[422] = problemResponse('Payload refused (`reason`); dead-lettered when the device is known');
      responses[429] = problemResponse('Too many requests from this device, MAC or address');
      responses[503] = problemResponse('The message bus did not acknowledge: retry (Retry-After)');
    }
    const op: Record<string, unknown> = {
      operationId: `${r.method}${r.path.replace(/[^A-Za-z0-9]+(\w)?/g, (_: string, c?: string) => (c ? c.toUpperCase() : ''))}`,
      summary: r.summary,
      ...(r.description ? { description: r.description } : {}),
      tags: r.tags,
      ...(r.deprecated ? { deprecated: true } : {}),
      security:
        r.access === 'public'
          ? []
          : r.access === 'device'
            ? [{ device: [] }]
            : r.access === 'optional'
              ? [{}, { bearer: [] }, { cookie: [] }]
              : [{ bearer: [] }, { cookie: [] }],
      parameters: [...parameters(r.params, 'path'), ...parameters(r.query, 'query')],
      responses,
      'x-access': r.access,
      ...(r.aliasOf ? { 'x-alias-of': r.aliasOf } : {}),
    };
    if (r.body) {
      op.requestBody = {
        required: true,
        content: {
          [r.raw?.contentType ?? 'application/json']: {
            schema: toSchema(r.body),
            ...(r.example !== undefined ? { example: r.example } : {}),
          },
        },
      };
    }
    paths[path] ??= {};
    paths[path][r.method] = op;
  }
  return {
    openapi: '3.1.0',
    info,
    paths,
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'Access token from POST /api/auth/login',
        },
        device: {
          type: 'http',
          scheme: 'bearer',
          description: 'Device token from POST /api/handshake/ (the device endpoints)',
        },
        cookie: {
          type: 'apiKey',
          in: 'cookie',
          name: 'access_token',
          description: 'Set by the sign-in routes (httpOnly)',
        },
      },
      schemas: {
        Problem: {
          type: 'object',
          description: 'RFC 9457 problem details',
          required: ['type', 'title', 'status', 'code'],
          properties: {
            type: { type: 'string' },
            title: { type: 'string' },
            status: { type: 'integer' },
            detail: { type: 'string' },
            instance: { type: 'string' },
            code: { type: 'string', enum: Object.keys(ErrorCodes) },
            errors: {
              type: 'array',
              items: {
                type: 'object',
                properties: { path: { type: 'string' }, message: { type: 'string' }, code: { type: 'string' } },
              },
            },
          },
        },
      },
    },
  };
}

/** The page `type` URIs of problems point at: every code, its status and title. */
export function problemsPage(): string {
  const rows = Object.entries(ErrorCodes)
    .map(
      ([code, { status, title }]) =>
        `<tr id="${code.toLowerCase().replaceAll('_', '-')}"><td>${code}</td><td>${status}</td><td>${title}</td></tr>`,
    )
    .join('\n');
  return `<!doctype html><html><head><meta charset="utf-8"><title>Problem types</title></head><body>
<h1>Problem types</h1><p>Every error is answered as RFC 9457 <code>application/problem+json</code> with one of these codes.</p>
<table><thead><tr><th>code</th><th>status</th><th>title</th></tr></thead><tbody>
<tr id="setup-required"><td>FORBIDDEN (setup-required)</td><td>403</td><td>Change the password and complete the profile first</td></tr>
${rows}
</tbody></table></body></html>`;
}
