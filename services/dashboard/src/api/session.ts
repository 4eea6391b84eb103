import { useSyncExternalStore } from 'react';
import { ApiError, request, setTokenSource } from './http.js';
import type { LoginResult, SessionTokens, User } from './types.js';

/**
 * The signed-in session. The API sets the refresh token as an httpOnly cookie (path /api/auth),
 * so scripts never hold it: a reload resumes the session with POST /api/auth/refresh. The access
 * token is kept in memory for the Authorization header and the Socket.IO handshake.
 */
export type Me = User;

export type SessionState =
  | { status: 'loading' }
  | { status: 'anonymous'; reason?: string }
  | { status: 'authenticated'; me: Me };

/**
 * A hint, not a secret: "this browser had a session". Without it a page load skips the refresh
 * call (an anonymous visitor would only get a 401, and refreshes count against the login limit).
 */
const HINT = 'telemetry.signedIn';

function setHint(on: boolean): void {
  try {
    if (on) localStorage.setItem(HINT, '1');
    else localStorage.removeItem(HINT);
  } catch {
    // storage disabled: every load tries the refresh cookie
  }
}

function hasHint(): boolean {
  try {
    return localStorage.getItem(HINT) !== null;
  } catch {
    return true;
  }
}

let state: SessionState = { status: 'loading' };
let access: string | null = null;
let refreshing: Promise<string | null> | null = null;
const listeners = new Set<() => void>();
const tokenListeners = new Set<(token: string | null) => void>();

function set(next: SessionState): void {
  state = next;
  for (const l of listeners) l();
}

function storeAccess(token: string | null): void {
  access = token;
  for (const l of tokenListeners) l(access);
}

/**
 * One refresh at a time, across tabs too (Web Locks): two concurrent refreshes with the same
 * cookie would look like a stolen token being replayed, and the API would end the session.
 */
export function refreshAccess(): Promise<string | null> {
  if (!refreshing) {
    const run = async (): Promise<string | null> => {
      try {
        const res = await request<SessionTokens>('POST', '/api/auth/refresh', { body: {}, anonymous: true });
        storeAccess(res.accessToken);
        return res.accessToken;
      } catch (err) {
        // a network failure keeps the session (the next request retries); a refusal ends it
        if (!(err instanceof ApiError) || err.status >= 500) return null;
        storeAccess(null);
        setHint(false);
        if (state.status === 'authenticated')
          set({ status: 'anonymous', reason: 'Your session has ended. Sign in again.' });
        return null;
      }
    };
    const locks = (navigator as Navigator & { locks?: LockManager }).locks;
    const p: Promise<string | null> = locks
      ? (locks.request('telemetry-refresh', run) as unknown as Promise<string | null>)
      : run();
    refreshing = p.finally(() => {
      refreshing = null;
    });
    return refreshing;
  }
  return refreshing;
}

setTokenSource({ accessToken: () => access, refresh: refreshAccess });

export function accessToken(): string | null {
  return access;
}

async function loadMe(): Promise<Me> {
  return request<Me>('GET', '/api/auth/me');
}

/** On page load: resume the session if the refresh cookie is still good. */
export async function boot(): Promise<void> {
  if (!hasHint()) return set({ status: 'anonymous' });
  const token = await refreshAccess();
  if (!token) return set({ status: 'anonymous' });
  try {
    set({ status: 'authenticated', me: await loadMe() });
  } catch {
    set({ status: 'anonymous' });
  }
}

export async function login(username: string, password: string): Promise<Me> {
  const res = await request<LoginResult>('POST', '/api/auth/login', { body: { username, password }, anonymous: true });
  storeAccess(res.accessToken);
  setHint(true);
  const me = res.user;
  set({ status: 'authenticated', me });
  return me;
}

export async function logout(): Promise<void> {
  await request('POST', '/api/auth/logout', { body: {} }).catch(() => {});
  storeAccess(null);
  setHint(false);
  set({ status: 'anonymous' });
}

/**
 * After the first-login steps. The API reads the user row on every request, but the access token
 * still carries the setup flag, which the realtime gateway refuses: rotate to a fresh one first.
 */
export async function reloadMe(): Promise<Me> {
  await refreshAccess();
  const me = await loadMe();
  set({ status: 'authenticated', me });
  return me;
}

export function onTokenChange(fn: (token: string | null) => void): () => void {
  tokenListeners.add(fn);
  return () => tokenListeners.delete(fn);
}

function subscribe(fn: () => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function useSession(): SessionState {
  return useSyncExternalStore(subscribe, () => state);
}

/** The signed-in user (components below the auth gate only). */
export function useMe(): Me {
  const s = useSession();
  if (s.status !== 'authenticated') throw new Error('useMe outside an authenticated view');
  return s.me;
}
