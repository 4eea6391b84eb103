import { useMemo } from 'react';
import { devices as devicesApi, tenants as tenantsApi } from '../api/endpoints.js';
import { useMe } from '../api/session.js';
import { useResource } from '../lib/use-resource.js';
import { useSubscriptions } from './context.js';
import type { Scope } from './protocol.js';

/**
 * Watch everything the user may see, with the fewest rooms the gateway allows: the own tenant for
 * staff; every tenant for a platform admin; for viewers (who may not watch a whole tenant) each
 * visible device.
 */
export function useWatchAll(): void {
  const me = useMe();
  const platform = me.role === 'admin' && me.tenantId === null;
  const extra = useResource(async () => {
    if (me.role === 'viewer') return (await devicesApi.list({ state: 'active' })).map((d) => d.id);
    if (platform) return (await tenantsApi.list()).map((t) => t.id);
    return [];
  }, [me.role, platform]);
  const scopes = useMemo((): Array<{ scope: Scope; id: string }> => {
    if (me.role === 'viewer') return (extra.data ?? []).map((id) => ({ scope: 'device', id }));
    if (platform) return (extra.data ?? []).map((id) => ({ scope: 'tenant', id }));
    return me.tenantId ? [{ scope: 'tenant', id: me.tenantId }] : [];
  }, [me, platform, extra.data]);
  useSubscriptions(scopes);
}
