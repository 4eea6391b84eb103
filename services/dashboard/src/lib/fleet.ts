import type { Alert, Asset, Device, LatestValue, Site } from '../api/types.js';
import type { AlertChange, TelemetryMessage } from '../live/protocol.js';

/** The site of an asset: its own site, or the nearest ancestor's. */
export function siteIdOfAsset(assetsById: ReadonlyMap<string, Asset>, assetId: string | null): string | null {
  let cur = assetId ? assetsById.get(assetId) : undefined;
  for (let depth = 0; cur && depth < 32; depth++) {
    if (cur.siteId) return cur.siteId;
    cur = cur.parentId ? assetsById.get(cur.parentId) : undefined;
  }
  return null;
}

/** "Floor 2 › Pantry A › Dispenser 3": where a device sits. */
export function assetPath(assetsById: ReadonlyMap<string, Asset>, assetId: string | null): string {
  const names: string[] = [];
  let cur = assetId ? assetsById.get(assetId) : undefined;
  for (let depth = 0; cur && depth < 32; depth++) {
    names.unshift(cur.name);
    cur = cur.parentId ? assetsById.get(cur.parentId) : undefined;
  }
  return names.join(' › ');
}

/** Online: the gateway says so, or it reported within 3 expected intervals (HTTP devices have no session). */
export function isOnline(d: Pick<Device, 'online' | 'lastSeen' | 'expectedIntervalS'>, now: number): boolean {
  if (d.online) return true;
  if (!d.lastSeen) return false;
  return now - Date.parse(d.lastSeen) <= 3 * Math.max(1, d.expectedIntervalS) * 1000;
}

/** A live reading merged into a device: newer device time wins per metric, as the pipeline does. */
export function applyTelemetry(d: Device, msg: TelemetryMessage): Device {
  const t = Date.parse(msg.ts);
  const latest: Record<string, LatestValue> = { ...d.latest };
  for (const [metric, v] of Object.entries(msg.metrics)) {
    const prev = latest[metric];
    if (!prev || t >= prev.t) latest[metric] = { v, t };
  }
  const seen = msg.receivedAt && (!d.lastSeen || msg.receivedAt > d.lastSeen) ? msg.receivedAt : d.lastSeen;
  return { ...d, latest, lastSeen: seen };
}

/** A live alert change merged into a list (upsert by id; replays may repeat, which is harmless). */
export function applyAlertChange(list: Alert[], a: AlertChange): Alert[] {
  const i = list.findIndex((x) => x.id === a.alertId);
  const prev = i >= 0 ? list[i] : undefined;
  const next: Alert = {
    id: a.alertId,
    tenantId: a.tenantId,
    ruleId: a.ruleId,
    deviceId: a.deviceId,
    assetId: a.assetId,
    kind: a.kind,
    severity: a.severity,
    state: a.state,
    metric: a.metric,
    value: a.value,
    threshold: a.threshold,
    message: a.message,
    openedAt: a.openedAt,
    acknowledgedAt: a.state === 'acknowledged' ? a.changedAt : (prev?.acknowledgedAt ?? null),
    acknowledgedBy: a.change === 'acknowledged' ? a.changedBy : (prev?.acknowledgedBy ?? null),
    resolvedAt: a.state === 'resolved' ? a.changedAt : null,
    resolvedBy: a.change === 'resolved' ? a.changedBy : null,
  };
  if (i >= 0) {
    const copy = list.slice();
    copy[i] = next;
    return copy;
  }
  return [next, ...list];
}

export interface SiteGroup {
  site: Site | null;
  devices: Device[];
}

export function groupBySite(sites: Site[], assets: Asset[], devices: Device[]): SiteGroup[] {
  const byId = new Map(assets.map((a) => [a.id, a]));
  const groups = new Map<string | null, Device[]>();
  for (const d of devices) {
    const sid = siteIdOfAsset(byId, d.assetId);
    const key = sid && sites.some((s) => s.id === sid) ? sid : null;
    const list = groups.get(key) ?? [];
    list.push(d);
    groups.set(key, list);
  }
  const out: SiteGroup[] = sites
    .filter((s) => groups.has(s.id))
    .map((s) => ({ site: s, devices: groups.get(s.id) ?? [] }));
  const loose = groups.get(null);
  if (loose?.length) out.push({ site: null, devices: loose });
  for (const g of out) g.devices.sort((a, b) => (a.name || a.id).localeCompare(b.name || b.id));
  return out;
}
