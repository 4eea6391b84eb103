import { useSyncExternalStore } from 'react';

/**
 * Hash routing (`#/devices/abc`): deep links work on any static server, so the api can serve
 * dist/ without an SPA fallback, and a reload never asks the server for a client route.
 */
function subscribe(onChange: () => void): () => void {
  window.addEventListener('hashchange', onChange);
  return () => window.removeEventListener('hashchange', onChange);
}

function currentPath(): string {
  const h = window.location.hash.replace(/^#/, '');
  return h.startsWith('/') ? h : '/';
}

export interface Location {
  path: string;
  query: URLSearchParams;
}

export function useLocation(): Location {
  const raw = useSyncExternalStore(subscribe, currentPath, () => '/');
  const [path = '/', qs = ''] = raw.split('?');
  return { path, query: new URLSearchParams(qs) };
}

export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  const hash = `#${to}`;
  if (opts.replace) window.location.replace(hash);
  else window.location.hash = to;
}

export function href(to: string): string {
  return `#${to}`;
}

/** Matches `/devices/:id` against a path; params are URI-decoded. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const p = pattern.split('/').filter(Boolean);
  const s = path.split('/').filter(Boolean);
  if (p.length !== s.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    const seg = p[i]!;
    const val = s[i]!;
    if (seg.startsWith(':')) params[seg.slice(1)] = decodeURIComponent(val);
    else if (seg !== val) return null;
  }
  return params;
}
