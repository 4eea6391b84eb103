import { page } from '@telemetry/api-contract';
import type { Principal } from '@telemetry/auth';
import { z } from 'zod';
import { mapPage, type Page } from './pagination.js';
import type { Access, Method, RouteSpec, RouteTable } from './route-table.js';
import { id } from './validation.js';

type Schema = z.ZodType;

/** The operations of a resource service that the five routes call, by the service's own names. */
export interface ResourceService<Row, Query, Create, Patch, RemoveQuery> {
  list(p: Principal, query: Query): Promise<Page<Row>>;
  get(p: Principal, id: string): Promise<Row>;
  create(p: Principal, body: Create): Promise<Row>;
  update(p: Principal, id: string, patch: Patch): Promise<Row>;
  remove(p: Principal, id: string, query: RemoveQuery): Promise<void>;
}

/** A valid body, as the route table takes it. */
type Example<B extends Schema> = NonNullable<RouteSpec<undefined, undefined, B>['example']>;

interface Operation {
  summary: string;
  access: Access;
}

/**
 * A resource's list, create, one, change and delete routes on `path` and `path/:param`. What they
 * share (the paths, the id parameter, the page and item answers, the presenter, 201/204) is said
 * once here; each resource's routes.ts says what differs (who may, bodies, summaries), and its
 * service does the tenant-scoped, audited work.
 */
export function addResourceRoutes<
  Row,
  Q extends Schema,
  C extends Schema,
  U extends Schema,
  R extends Schema | undefined = undefined,
>(
  table: RouteTable,
  r: {
    path: string;
    param: string;
    tags: string[];
    /** The item's answer (a schema of @telemetry/api-contract); lists answer `page(item)`. */
    item: Schema;
    present: (row: Row) => unknown;
    service: ResourceService<Row, z.output<Q>, z.output<C>, z.output<U>, R extends Schema ? z.output<R> : undefined>;
    list: Operation & { query: Q };
    create: Operation & { body: C; example: Example<C> };
    get: Operation;
    /** `methods`: PUT too where the seeds send it (default PATCH only). */
    update: Operation & { body: U; example: Example<U>; methods?: readonly ('patch' | 'put')[] };
    remove: Operation & { query?: R };
  },
): void {
  const params = z.object({ [r.param]: id });
  const one = `${r.path}/:${r.param}`;
  const idOf = (p: Record<string, unknown>) => String(p[r.param]);
  table.add({
    method: 'get',
    path: r.path,
    ...r.list,
    tags: r.tags,
    response: page(r.item),
    handler: async ({ query, principal }) => mapPage(await r.service.list(principal, query as z.output<Q>), r.present),
  });
  table.add({
    method: 'post',
    path: r.path,
    ...r.create,
    tags: r.tags,
    status: 201,
    response: r.item,
    handler: async ({ body, principal }) => r.present(await r.service.create(principal, body as z.output<C>)),
  });
  table.add({
    method: 'get',
    path: one,
    ...r.get,
    tags: r.tags,
    params,
    response: r.item,
    handler: async ({ params, principal }) => r.present(await r.service.get(principal, idOf(params))),
  });
  const methods: readonly Method[] = r.update.methods ?? ['patch'];
  for (const method of methods) {
    table.add({
      method,
      path: one,
      summary: method === 'put' ? `${r.update.summary} (same as PATCH)` : r.update.summary,
      access: r.update.access,
      tags: r.tags,
      params,
      body: r.update.body,
      example: r.update.example,
      response: r.item,
      handler: async ({ params, body, principal }) =>
        r.present(await r.service.update(principal, idOf(params), body as z.output<U>)),
    });
  }
  table.add({
    method: 'delete',
    path: one,
    summary: r.remove.summary,
    access: r.remove.access,
    tags: r.tags,
    params,
    query: r.remove.query,
    status: 204,
    handler: ({ params, query, principal }) =>
      r.service.remove(principal, idOf(params), query as R extends Schema ? z.output<R> : undefined),
  });
}
