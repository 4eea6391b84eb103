import type { AddressInfo } from 'node:net';
import express from 'express';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { RouteTable } from './route-table.js';

/** A table with one public route answering `answer`, served with or without response checks. */
async function serve(answer: unknown, checkResponses: boolean) {
  const table = new RouteTable();
  table.add({
    method: 'get',
    path: '/thing',
    summary: 'a thing',
    tags: ['test'],
    access: 'public',
    response: z.object({ id: z.string(), at: z.string() }),
    handler: () => answer,
  });
  const router = express.Router();
  const anonymous = Object.assign(async () => undefined, { precheck: () => false });
  table.mount(router, anonymous, { checkResponses });
  const server = express().use(router).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/thing`);
  const body = (await res.json()) as { detail?: string };
  server.close();
  return { status: res.status, body };
}

describe('response checks', () => {
  it('pass an answer that matches its schema once serialized (a Date is a string on the wire)', async () => {
    const r = await serve({ id: 'a', at: new Date(0) }, true);
    expect(r).toEqual({ status: 200, body: { id: 'a', at: '1970-01-01T00:00:00.000Z' } });
  });

  it('turn an answer off its schema into a 500 that says what drifted', async () => {
    const r = await serve({ id: 1, at: 'x' }, true);
    expect(r.status).toBe(500);
    expect(r.body.detail).toContain('GET /thing answered off its response schema: id:');
  });

  it('are skipped when off (production): the answer goes out as the handler made it', async () => {
    expect(await serve({ id: 1, at: 'x' }, false)).toEqual({ status: 200, body: { id: 1, at: 'x' } });
  });
});
