import { AppError } from '@telemetry/contracts';
import type pg from 'pg';

/** One page of a list: `nextCursor` is null on the last page. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** The page a list route asks for (`pageQuery`). */
export interface PageRequest {
  cursor?: string;
  limit: number;
}

/**
 * Keyset pagination over (sort key, id): stable while rows are added, and as cheap on page 100
 * as on page 1. The cursor carries the last row's key as text (timestamps at microsecond
 * precision via ::text, which round-trips through ::timestamptz exactly).
 */
export interface Keyset {
  /** SQL of the sort column, e.g. `a.created_at` or `lower(a.name)`. */
  column: string;
  /** SQL type the key text is cast back to. */
  type: 'timestamptz' | 'text';
  /** SQL of the unique tiebreaker, compared as text. */
  id: string;
  direction: 'asc' | 'desc';
}

export function keysetClause(
  k: Keyset,
  cursor: string | undefined,
  params: unknown[],
): { where: string; order: string; select: string } {
  const cmp = k.direction === 'desc' ? '<' : '>';
  const dir = k.direction === 'desc' ? 'DESC' : 'ASC';
  const order = `ORDER BY ${k.column} ${dir}, ${k.id}::text ${dir}`;
  const select = `${k.column}::text AS _key, ${k.id}::text AS _id`;
  if (!cursor) return { where: 'TRUE', order, select };
  const [key, idText] = decodeCursor(cursor, k.type);
  params.push(key, idText);
  const where = `(${k.column}, ${k.id}::text) ${cmp} ($${params.length - 1}::${k.type}, $${params.length})`;
  return { where, order, select };
}

/** Turns `limit + 1` fetched rows into a page. */
export function toPage<R extends { _key: string; _id: string }, T>(
  rows: R[],
  limit: number,
  map: (r: R) => T,
): Page<T> {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return {
    items: items.map(map),
    nextCursor:
      rows.length > limit && last ? Buffer.from(JSON.stringify([last._key, last._id])).toString('base64url') : null,
  };
}

/** A list route's query split into its filters and the page it asks for. */
export function splitPage<Q extends PageRequest>(query: Q): [filter: Omit<Q, keyof PageRequest>, page: PageRequest] {
  const { limit, cursor, ...filter } = query;
  return [filter, { limit, cursor }];
}

/** The same page with each item mapped (rows to their JSON). */
export function mapPage<T, U>(page: Page<T>, map: (item: T) => U): Page<U> {
  return { items: page.items.map(map), nextCursor: page.nextCursor };
}

/**
 * For routes that answer a bare array (the seeds' compat routes): the next page's cursor goes in the
 * X-Next-Cursor header. Returns the page's items.
 */
export function cursorInHeader<T>(res: { setHeader(name: string, value: string): unknown }, page: Page<T>): T[] {
  if (page.nextCursor) res.setHeader('X-Next-Cursor', page.nextCursor);
  return page.items;
}

/** A list query: `SELECT <columns> FROM <from> WHERE <where, ANDed>`, in `keyset` order. */
export interface ListQuery {
  columns: string;
  /** The table and its alias, e.g. `alerts al`. */
  from: string;
  where: string[];
  /** The values of `where`'s placeholders; the cursor's and the limit's are pushed after them. */
  params: unknown[];
  keyset: Keyset;
}

/** One page of a list query: fetches `limit + 1` rows (the extra one says there is a next page), maps the rest. */
export async function listPage<R extends pg.QueryResultRow, T>(
  db: Pick<pg.ClientBase, 'query'>,
  q: ListQuery,
  page: PageRequest,
  map: (r: R) => T,
): Promise<Page<T>> {
  const { params } = q;
  const clause = keysetClause(q.keyset, page.cursor, params);
  const { rows } = await db.query<R & { _key: string; _id: string }>(
    `SELECT ${q.columns}, ${clause.select} FROM ${q.from} WHERE ${q.where.join(' AND ')} AND ${clause.where}
     ${clause.order} LIMIT $${params.push(page.limit + 1)}`,
    params,
  );
  return toPage(rows, page.limit, map);
}

/**
 * A cursor is client input: its key is cast to `type` in SQL, so a key that would not cast (or a
 * NUL, which PostgreSQL text refuses) must be a 400 here rather than a database error (500).
 */
export function decodeCursor(cursor: string, type: Keyset['type']): [string, string] {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (
      Array.isArray(v) &&
      v.length === 2 &&
      typeof v[0] === 'string' &&
      typeof v[1] === 'string' &&
      !v[0].includes('\0') &&
      !v[1].includes('\0') &&
      (type === 'text' || isTimestamptzText(v[0]))
    )
      return [v[0], v[1]];
  } catch {
    // below
  }
  throw new AppError('VALIDATION_FAILED', 'cursor is not one this API returned', { details: { field: 'cursor' } });
}

/** What `timestamptz::text` gives (ISO DateStyle): `2024-05-01 10:02:03.123456+00`, offsets to seconds. */
const TIMESTAMPTZ_TEXT =
  /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(\.\d{1,6})?([+-])(\d{2})(?::(\d{2})(?::(\d{2}))?)?$/;

function isTimestamptzText(s: string): boolean {
  const m = TIMESTAMPTZ_TEXT.exec(s);
  if (!m) return false;
  const f = (i: number) => Number(m[i] ?? 0);
  const daysInMonth = new Date(Date.UTC(f(1), f(2), 0)).getUTCDate();
  return (
    f(1) >= 1 &&
    f(2) >= 1 &&
    f(2) <= 12 &&
    f(3) >= 1 &&
    f(3) <= daysInMonth &&
    f(4) <= 23 &&
    f(5) <= 59 &&
    f(6) <= 59 &&
    f(9) <= 15 &&
    f(10) <= 59 &&
    f(11) <= 59
  );
}
