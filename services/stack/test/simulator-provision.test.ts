import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { provisionFleet, SIMULATOR_SITE } from '@telemetry/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Proc } from './processes.js';
import { api, type Deployment, firstAdmin, startAllInOne } from './scenario.js';

// Issue 21: `pnpm simulate --provision` put simulated devices on a tenant's real assets, where the
// tenant's rules then fired. It now makes its own site unless told which site to use.
describe('simulator --provision', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'stack-provision-'));
  let proc: Proc | undefined;
  let d: Deployment;
  let admin: { username: string; password: string };
  let token: string;
  let tenantId: string;
  let realDispenser: string;

  beforeAll(async () => {
    const started = await startAllInOne('stack-provision', dataDir);
    proc = started.proc;
    d = started.d;
    const first = await firstAdmin(d, started.banner);
    admin = { username: first.username, password: first.password };
    token = first.token;
    // a tenant with a real dispenser on a real floor
    tenantId = (await api(d, 'POST', '/api/tenants', { token, body: { name: 'Office tower' } })).id;
    const site = await api(d, 'POST', '/api/sites', { token, body: { tenantId, name: 'Tower A', timezone: 'UTC' } });
    realDispenser = (
      await api(d, 'POST', '/api/assets', {
        token,
        body: { tenantId, siteId: site.id, type: 'dispenser', name: 'Pantry 3 dispenser' },
      })
    ).id;
  }, 180_000);

  afterAll(async () => {
    await proc?.stop('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  const provision = (o: { site?: string; firstDevice: number }) =>
    provisionFleet({
      apiUrl: d.http,
      tenant: 'Office tower',
      username: admin.username,
      password: admin.password,
      profiles: ['dispenser', 'dispenser', 'energy'],
      firstDevice: o.firstDevice,
      macNamespace: 7,
      site: o.site,
    });

  const devicesOn = async (assetIds: string[]) => {
    const { items } = await api<{ items: Array<{ assetId: string | null; name: string }> }>(
      d,
      'GET',
      `/api/devices?tenantId=${tenantId}&limit=200`,
      { token },
    );
    return items.filter((x) => x.assetId !== null && assetIds.includes(x.assetId));
  };

  it('creates its own site with an asset per type, and leaves real assets alone', async () => {
    expect(await provision({ firstDevice: 0 })).toEqual({ created: 3, existing: 0 });
    const sites = await api(d, 'GET', `/api/sites?tenantId=${tenantId}`, { token });
    const own = sites.items.find((s: { name: string }) => s.name === SIMULATOR_SITE);
    expect(own).toBeDefined();
    const assets = await api(d, 'GET', `/api/assets?tenantId=${tenantId}&siteId=${own.id}`, { token });
    expect(assets.items.map((a: { type: string }) => a.type).sort()).toEqual(['dispenser', 'meter']);
    expect(await devicesOn(assets.items.map((a: { id: string }) => a.id))).toHaveLength(3);
    expect(await devicesOn([realDispenser])).toHaveLength(0);

    // a second run reuses the site and its assets
    expect(await provision({ firstDevice: 0 })).toEqual({ created: 0, existing: 3 });
    const again = await api(d, 'GET', `/api/sites?tenantId=${tenantId}`, { token });
    expect(again.items.filter((s: { name: string }) => s.name === SIMULATOR_SITE)).toHaveLength(1);
  });

  it('goes onto a named site only when told, and names the sites when the one given does not exist', async () => {
    await provision({ firstDevice: 10, site: 'Tower A' });
    expect((await devicesOn([realDispenser])).map((x) => x.name).sort()).toEqual([
      'Simulated dispenser 10',
      'Simulated dispenser 11',
    ]);
    await expect(provision({ firstDevice: 20, site: 'Tower Z' })).rejects.toThrow(/no site "Tower Z".*Tower A/);
  });
});
