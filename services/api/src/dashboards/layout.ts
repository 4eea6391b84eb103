import type { DashboardLayout } from '@telemetry/api-contract';

/**
 * The layout itself is described once, in @telemetry/api-contract (dashboards.ts): the save's
 * body and the read's answer. What the server adds: the devices and assets a layout names, which
 * the service checks are the tenant's before saving.
 */
export function boundIds(layout: DashboardLayout): { devices: string[]; assets: string[] } {
  const devices = new Set<string>();
  const assets = new Set<string>();
  for (const w of layout.widgets) {
    const b = w.binding as { deviceId?: string; assetId?: string };
    if (b.deviceId) devices.add(b.deviceId);
    if (b.assetId) assets.add(b.assetId);
  }
  return { devices: [...devices], assets: [...assets] };
}
