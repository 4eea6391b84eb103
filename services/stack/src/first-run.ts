import { createFirstAdmin, seedDemo } from '@telemetry/api';
import type { DeviceRegistry } from '@telemetry/registry';
import { deviceMac, PROFILE_NAMES, type ProfileName } from '@telemetry/simulator';
import type { Store } from '@telemetry/store';

/** Which demo asset each simulated profile reports for (keys of seedDemo's assets). */
const ASSET_FOR_PROFILE: Record<ProfileName, string[]> = {
  dispenser: ['dispenser1', 'dispenser2'],
  ozone: ['machine1', 'machine2'],
  energy: ['meter1'],
  machine: ['press1'],
};

export interface FirstRun {
  /** Set only when the admin was created by this start: the password is shown once. */
  admin: { username: string; password: string } | null;
  demoUsers: { username: string; password: string; role: string }[];
  tenantId: string | null;
}

/**
 * First start on a data directory: the platform admin, and (with the simulator on) a demo tenant
 * shaped like the seeds whose simulated devices are pre-registered by MAC, so they get tokens at
 * their first handshake. Later starts find both and change nothing.
 */
export async function prepareFirstRun(store: Store, opts: { seedDemo: boolean }): Promise<FirstRun> {
  const admin = await createFirstAdmin(store);
  if (!opts.seedDemo)
    return {
      admin: admin.created ? { username: admin.username, password: admin.password ?? '' } : null,
      demoUsers: [],
      tenantId: null,
    };
  const demo = await seedDemo(store);
  return {
    admin: admin.created ? { username: admin.username, password: admin.password ?? '' } : null,
    demoUsers: demo.users,
    tenantId: demo.tenantId,
  };
}

/** Pre-registers `count` simulated devices (idempotent by MAC) on the demo tenant's assets. */
export async function registerDemoFleet(
  store: Store,
  registry: DeviceRegistry,
  plan: { tenantId: string; count: number; macNamespace: number },
): Promise<ProfileName[]> {
  const { rows } = await store.pool.query<{
    id: string;
    name: string;
    type: string;
    attributes: Record<string, unknown>;
  }>('SELECT id, name, type, attributes FROM assets WHERE tenant_id = $1', [plan.tenantId]);
  const byName = new Map(rows.map((r) => [r.name, r.id]));
  const assetIds: Record<string, string | undefined> = {
    dispenser1: byName.get('Coffee 1'),
    dispenser2: byName.get('Soap 1'),
    machine1: byName.get('Ozone A'),
    machine2: byName.get('Ozone B'),
    meter1: byName.get('Energy meter 1'),
    press1: byName.get('Press 1'),
  };
  const profiles: ProfileName[] = [];
  for (let i = 0; i < plan.count; i++) {
    const profile = PROFILE_NAMES[i % PROFILE_NAMES.length] as ProfileName;
    profiles.push(profile);
    const mac = deviceMac(i, plan.macNamespace);
    if (await registry.directory.findByMac(mac)) continue;
    const choices = ASSET_FOR_PROFILE[profile];
    const assetKey = choices[Math.floor(i / PROFILE_NAMES.length) % choices.length] as string;
    await registry.lifecycle.preRegister({
      tenantId: plan.tenantId,
      assetId: assetIds[assetKey] ?? null,
      deviceId: `sim-${profile}-${String(i + 1).padStart(3, '0')}`,
      mac,
      name: `Simulated ${profile} ${i + 1}`,
      deviceType: profile,
      expectedIntervalS: 60,
    });
  }
  return profiles;
}
