import { AppError } from '@telemetry/contracts';
import { deviceMac } from './identity.js';
import type { ProfileName } from './profiles/index.js';

/** The asset type each profile reports for, in a tenant shaped like the seeds (`pnpm seed:demo`). */
const ASSET_TYPE: Record<ProfileName, string> = {
  dispenser: 'dispenser',
  ozone: 'machine',
  energy: 'meter',
  machine: 'machine',
};

export interface ProvisionOptions {
  apiUrl: string;
  tenant: string;
  /**
   * A site of the tenant whose assets the devices join (by asset type). Unset: the simulator's own
   * site, SIMULATOR_SITE, with an asset per type, so simulated readings never reach real assets' rules.
   */
  site?: string;
  username: string;
  password: string;
  /** One profile per device, device i has MAC deviceMac(firstDevice + i, macNamespace). */
  profiles: ProfileName[];
  firstDevice: number;
  macNamespace: number;
}

/** The site --provision creates for the fleet when no site is named. */
export const SIMULATOR_SITE = 'Simulator';

// biome-ignore lint/suspicious/noExplicitAny: the API's JSON is read loosely, as a client script would
type Call = (method: string, path: string, token?: string, body?: unknown) => Promise<{ status: number; json: any }>;

/**
 * Registers the fleet's MACs with a tenant as an admin would (POST /api/devices), each on an asset
 * of the type its profile reports for, so the devices' handshakes return tokens at once instead
 * of waiting as pending devices. Devices registered before are left alone. Returns how many were new.
 */
export async function provisionFleet(o: ProvisionOptions): Promise<{ created: number; existing: number }> {
  const call: Call = async (method, path, token, body) => {
    const res = await fetch(new URL(path, o.apiUrl), {
      method,
      headers: {
        ...(body ? { 'content-type': 'application/json' } : {}),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    const json = text ? JSON.parse(text) : {};
    return { status: res.status, json };
  };
  const login = await call('POST', '/api/auth/login', undefined, { username: o.username, password: o.password });
  if (login.status !== 200)
    throw new AppError(
      'UNAUTHENTICATED',
      `--provision: signing in as ${o.username} failed: ${login.json.detail ?? login.status}`,
    );
  if (login.json.setupRequired) {
    throw new AppError(
      'FORBIDDEN',
      `--provision: ${o.username} must first change the generated password (sign in to the dashboard once)`,
    );
  }
  const token: string = login.json.accessToken;
  const tenants = await call('GET', '/api/tenants?limit=200', token);
  const tenant = (tenants.json.items as { id: string; name: string }[] | undefined)?.find((t) => t.name === o.tenant);
  if (!tenant) {
    const names = (tenants.json.items ?? []).map((t: { name: string }) => t.name).join(', ');
    throw new AppError(
      'NOT_FOUND',
      `--provision: no tenant "${o.tenant}" (there are: ${names || 'none'}; \`pnpm seed:demo\` creates "Demo")`,
    );
  }
  const types = [...new Set(o.profiles.map((p) => ASSET_TYPE[p]))];
  const byType = await assetsByType(call, token, tenant.id, o.site, types);
  let created = 0;
  let existing = 0;
  for (const [i, profile] of o.profiles.entries()) {
    const index = o.firstDevice + i;
    const candidates = byType.get(ASSET_TYPE[profile]) ?? [];
    const res = await call('POST', '/api/devices', token, {
      mac: deviceMac(index, o.macNamespace),
      tenantId: tenant.id,
      assetId: candidates.length ? candidates[index % candidates.length] : undefined,
      name: `Simulated ${profile} ${index}`,
      deviceType: profile,
      // the simulator, like legacy firmware, re-handshakes by MAC alone after a restart
      handshakePolicy: 'mac',
    });
    if (res.status === 201) created++;
    else if (res.status === 409) existing++;
    else
      throw new AppError(
        'VALIDATION_FAILED',
        `--provision: registering device ${index} failed: ${res.json.detail ?? res.status}`,
      );
  }
  return { created, existing };
}

/** The assets of the named site by type, or the simulator's own site with an asset of each type (created once). */
async function assetsByType(
  call: Call,
  token: string,
  tenantId: string,
  siteName: string | undefined,
  types: string[],
): Promise<Map<string, string[]>> {
  const sites = await call('GET', `/api/sites?tenantId=${tenantId}&limit=200`, token);
  const items = (sites.json.items ?? []) as { id: string; name: string }[];
  let site = items.find((s) => s.name === (siteName ?? SIMULATOR_SITE));
  if (!site && siteName !== undefined) {
    throw new AppError(
      'NOT_FOUND',
      `--provision-site: no site "${siteName}" in the tenant (there are: ${items.map((s) => s.name).join(', ') || 'none'})`,
    );
  }
  if (!site) {
    const made = await call('POST', '/api/sites', token, { tenantId, name: SIMULATOR_SITE, timezone: 'UTC' });
    if (made.status !== 201)
      throw new AppError(
        'VALIDATION_FAILED',
        `--provision: creating the site failed: ${made.json.detail ?? made.status}`,
      );
    site = made.json as { id: string; name: string };
  }
  const assets = await call('GET', `/api/assets?tenantId=${tenantId}&siteId=${site.id}&limit=200`, token);
  const byType = new Map<string, string[]>();
  for (const a of (assets.json.items ?? []) as { id: string; type: string }[]) {
    byType.set(a.type, [...(byType.get(a.type) ?? []), a.id]);
  }
  if (siteName !== undefined) return byType;
  for (const type of types) {
    if (byType.has(type)) continue;
    const made = await call('POST', '/api/assets', token, {
      tenantId,
      siteId: site.id,
      type,
      name: `Simulated ${type}s`,
    });
    if (made.status !== 201)
      throw new AppError(
        'VALIDATION_FAILED',
        `--provision: creating a ${type} asset failed: ${made.json.detail ?? made.status}`,
      );
    byType.set(type, [(made.json as { id: string }).id]);
  }
  return byType;
}
