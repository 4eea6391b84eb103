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
  username: string;
  password: string;
  /** One profile per device, device i has MAC deviceMac(firstDevice + i, macNamespace). */
  profiles: ProfileName[];
  firstDevice: number;
  macNamespace: number;
}

/**
 * Registers the fleet's MACs with a tenant as an admin would (POST /api/devices), each on an asset
 * of the type its profile reports for, so the devices' handshakes return tokens at once instead
 * of waiting as pending devices. Devices registered before are left alone. Returns how many were new.
 */
export async function provisionFleet(o: ProvisionOptions): Promise<{ created: number; existing: number }> {
  const call = async (method: string, path: string, token?: string, body?: unknown) => {
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
  const assets = await call('GET', `/api/assets?tenantId=${tenant.id}&limit=200`, token);
  const byType = new Map<string, string[]>();
  for (const a of (assets.json.items ?? []) as { id: string; type: string }[]) {
    byType.set(a.type, [...(byType.get(a.type) ?? []), a.id]);
  }
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
