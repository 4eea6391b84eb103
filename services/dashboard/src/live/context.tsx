import { createContext, type ReactNode, useContext, useEffect, useMemo, useState, useSyncExternalStore } from 'react';
import { accessToken, onTokenChange, refreshAccess } from '../api/session.js';
import { LiveClient, type LiveStatus } from './client.js';
import type { Scope } from './protocol.js';

const LiveContext = createContext<LiveClient | null>(null);

/** The tab's realtime connection, alive while someone is signed in. */
export function LiveProvider({ children }: { children: ReactNode }) {
  const client = useMemo(() => new LiveClient({ accessToken, refresh: refreshAccess }), []);
  useEffect(() => {
    client.start();
    const off = onTokenChange((t) => t && client.tokenChanged(t));
    return () => {
      off();
      client.stop();
    };
  }, [client]);
  return <LiveContext.Provider value={client}>{children}</LiveContext.Provider>;
}

export function useLive(): LiveClient {
  const c = useContext(LiveContext);
  if (!c) throw new Error('useLive outside LiveProvider');
  return c;
}

export function useLiveStatus(): LiveStatus {
  const live = useLive();
  return useSyncExternalStore(
    (fn) => live.on('status', fn),
    () => live.status,
  );
}

/** Subscribes to scopes while the component is mounted. */
export function useSubscriptions(scopes: ReadonlyArray<{ scope: Scope; id: string }>): void {
  const live = useLive();
  const key = scopes.map((s) => `${s.scope}:${s.id}`).join('|');
  // biome-ignore lint/correctness/useExhaustiveDependencies: key stands for scopes
  useEffect(() => {
    const releases = scopes.map((s) => live.subscribe(s.scope, s.id));
    return () => {
      for (const r of releases) r();
    };
  }, [live, key]);
}

/** A clock that ticks, for "last seen 3 min ago" and online/offline by age. */
export function useNow(intervalMs = 5_000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(t);
  }, [intervalMs]);
  return now;
}
