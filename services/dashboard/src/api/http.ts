import { ApiError, problemFrom } from '../lib/problem.js';

/**
 * The one fetch wrapper: same-origin `/api/...`, JSON in and out, problem+json errors turned into
 * ApiError, and one transparent token refresh when an access token has expired.
 */
export interface TokenSource {
  accessToken(): string | null;
  /** Gets a new access token (rotating the refresh token); null when the session is over. */
  refresh(): Promise<string | null>;
}

let tokens: TokenSource = { accessToken: () => null, refresh: async () => null };

export function setTokenSource(source: TokenSource): void {
  tokens = source;
}

export type Query = Record<string, string | number | boolean | null | undefined | readonly string[]>;

export function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === '') continue;
    if (Array.isArray(v)) for (const item of v) qs.append(k, item);
    else qs.set(k, String(v));
  }
  const s = qs.toString();
  return s ? `${path}${path.includes('?') ? '&' : '?'}${s}` : path;
}

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  /** A file sent as it is (application/octet-stream): a firmware image. */
  raw?: Blob;
  signal?: AbortSignal;
  /** Do not attach the access token nor refresh (login, refresh itself). */
  anonymous?: boolean;
}

async function readBody(res: Response): Promise<unknown> {
  if (res.status === 204) return undefined;
  const type = res.headers.get('content-type') ?? '';
  const text = await res.text();
  if (type.includes('json') && text) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}

async function send(method: string, path: string, opts: RequestOptions, token: string | null): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json, application/problem+json' };
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  if (opts.raw !== undefined) headers['content-type'] = 'application/octet-stream';
  if (token) headers.authorization = `Bearer ${token}`;
  return fetch(withQuery(path, opts.query), {
    method,
    headers,
    body: opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body)),
    signal: opts.signal,
    credentials: 'same-origin',
  });
}

export async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
  let token = opts.anonymous ? null : tokens.accessToken();
  let res = await send(method, path, opts, token);
  if (res.status === 401 && !opts.anonymous) {
    token = await tokens.refresh();
    if (token) res = await send(method, path, opts, token);
  }
  const body = await readBody(res);
  if (!res.ok) throw problemFrom(res.status, res.statusText, body);
  return body as T;
}

export const http = {
  get: <T>(path: string, query?: Query, signal?: AbortSignal) => request<T>('GET', path, { query, signal }),
  post: <T>(path: string, body?: unknown) => request<T>('POST', path, { body: body ?? {} }),
  put: <T>(path: string, body?: unknown) => request<T>('PUT', path, { body: body ?? {} }),
  patch: <T>(path: string, body?: unknown) => request<T>('PATCH', path, { body: body ?? {} }),
  del: <T>(path: string, query?: Query) => request<T>('DELETE', path, { query }),
  upload: <T>(path: string, query: Query, raw: Blob) => request<T>('POST', path, { query, raw }),
};

/**
 * Downloads a file the API streams (CSV): fetched with the token (a plain link could not carry
 * it), then handed to the browser as a download.
 */
export async function download(path: string, query: Query, fallbackName: string): Promise<void> {
  let res = await send('GET', withQuery(path, query), {}, tokens.accessToken());
  if (res.status === 401) {
    const token = await tokens.refresh();
    if (token) res = await send('GET', withQuery(path, query), {}, token);
  }
  if (!res.ok) throw problemFrom(res.status, res.statusText, await readBody(res));
  const disposition = res.headers.get('content-disposition') ?? '';
  const name = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition)?.[1] ?? fallbackName;
  const blob = await res.blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = decodeURIComponent(name);
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export { ApiError };
