import { useEffect, useMemo } from 'react';
import { devices as devicesApi } from '../../api/endpoints.js';
import { useMe } from '../../api/session.js';
import type { Device } from '../../api/types.js';
import { applyTelemetry } from '../../lib/fleet.js';
import { useResource } from '../../lib/use-resource.js';
import { useLive, useSubscriptions } from '../../live/context.js';
import type { Scope } from '../../live/protocol.js';
import { boundScopes, type Layout } from './layout.js';

/**
 * What a board shows live: its bound devices (loaded once, then folded with every reading and
 * presence change pushed over the tab's Socket.IO connection), and the rooms to watch. The rooms are
 * the existing ones (device, asset; the tenant for widgets bound to nothing, except for viewers, who
 * may not watch a whole tenant and see their assigned devices' rooms only): no new subscription kind.
 */
export function useBoardLive(layout: Layout): { devices: ReadonlyMap<string, Device>; missing: ReadonlySet<string> } {
  const me = useMe();
  const live = useLive();
  const bound = useMemo(() => boundScopes(layout), [layout]);
  const key = bound.devices.join('|');
  const loaded = useResource(
    async (signal) => {
      const results = await Promise.allSettled(bound.devices.map((id) => devicesApi.get(id, signal)));
      const devices = new Map<string, Device>();
      const missing = new Set<string>();
      results.forEach((r, i) => {
        const id = bound.devices[i] as string;
        if (r.status === 'fulfilled') devices.set(id, r.value);
        else missing.add(id); // not visible to this reader (a viewer's assignments), or gone
      });
      return { devices, missing };
    },
    [key],
  );

  const scopes = useMemo(() => {
    const s: Array<{ scope: Scope; id: string }> = [
      ...bound.devices.map((id) => ({ scope: 'device' as const, id })),
      ...bound.assets.map((id) => ({ scope: 'asset' as const, id })),
    ];
    if (bound.unbound && me.role !== 'viewer' && me.tenantId) s.push({ scope: 'tenant', id: me.tenantId });
    return s;
  }, [bound, me.role, me.tenantId]);
  useSubscriptions(scopes);

  const { mutate, reload } = loaded;
  useEffect(() => {
    const update = (id: string, fn: (d: Device) => Device) =>
      mutate((prev) => {
        const d = prev?.devices.get(id);
        if (!prev || !d) return prev;
        const devices = new Map(prev.devices);
        devices.set(id, fn(d));
        return { ...prev, devices };
      });
    const offs = [
      live.on('telemetry', (m) => update(m.deviceId, (d) => applyTelemetry(d, m))),
      live.on('presence', (m) => update(m.deviceId, (d) => ({ ...d, online: m.status === 'online' }))),
      live.on('resync', () => reload()),
    ];
    return () => {
      for (const off of offs) off();
    };
  }, [live, mutate, reload]);

  return { devices: loaded.data?.devices ?? EMPTY, missing: loaded.data?.missing ?? NONE };
}

const EMPTY: ReadonlyMap<string, Device> = new Map();
const NONE: ReadonlySet<string> = new Set();
