import type { Directory } from './directory.js';
import { roomOf } from './protocol.js';

/**
 * The rooms an event goes to: its tenant, its device, the asset it belongs to and every
 * ancestor of that asset, and the site(s) of that chain. A subscriber of a site therefore sees
 * every device below it, a subscriber of a line every machine on it.
 */
export interface Placement {
  tenantId: string;
  deviceId?: string | null;
  /** The asset the event names (the device's binding at event time, or an alert's asset). */
  assetId?: string | null;
}

export async function roomsFor(directory: Directory, p: Placement): Promise<string[]> {
  const rooms = new Set<string>([roomOf('tenant', p.tenantId)]);
  const assetIds = new Set<string>();
  if (p.assetId) assetIds.add(p.assetId);
  if (p.deviceId) {
    rooms.add(roomOf('device', p.deviceId));
    const device = await directory.device(p.deviceId);
    // The device's current binding too: a dashboard of the asset it now sits on should see it.
    if (device?.assetId && device.tenantId === p.tenantId) assetIds.add(device.assetId);
  }
  for (const id of assetIds) {
    const asset = await directory.asset(id);
    // Never route into another tenant's tree, whatever a message claims.
    if (!asset || asset.tenantId !== p.tenantId) continue;
    for (const a of asset.chain) rooms.add(roomOf('asset', a));
    for (const s of asset.sites) rooms.add(roomOf('site', s));
  }
  return [...rooms];
}
