import type { Harness, TenantFixture } from './helpers.js';

export interface World {
  tenant: TenantFixture;
  ids: Record<string, string>;
}

/**
 * One tenant's worth of everything a route can take an id of, built through the API (happy
 * paths) except alerts, which only the rules worker raises: inserted as it would.
 */
export async function buildWorld(h: Harness, name: string): Promise<World> {
  const t = await h.tenant(name);
  const admin = t.users.admin.token;
  const manager = t.users.manager.token;
  const ok = async (method: string, path: string, body: unknown, token = manager) => {
    const r = await h.req(method, path, { token, body });
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${r.text}`);
    return r.body;
  };
  const site = await ok('post', '/api/sites', { name: `${name} HQ`, timezone: 'Europe/Berlin' });
  const floor = await ok('post', '/api/floors/', { name: 'Floor 1', number: 1, site_id: site.id });
  const pantry = await ok('post', '/api/pantries/', { name: 'Pantry A', floor: floor.id });
  const dispenser = await ok('post', '/api/dispensers/', {
    name: 'Coffee',
    pantry: pantry.id,
    dispenser_type: 'coffee',
    low_level_threshold: 20,
  });
  const outlet = await ok('post', '/api/outlets/', {
    name: `${name} Outlet`,
    address: 'Main St 1',
    contact_person: 'Sam',
  });
  const machine = await ok('post', '/api/machines/', { name: 'Ozone A', outlet: outlet.id });
  const device = await ok(
    'post',
    '/api/devices',
    { id: `${name.toLowerCase()}-dev-1`, name: 'Ozone A device', deviceType: 'ozone' },
    admin,
  );
  const deviceId = device.device.id as string;
  await ok('post', `/api/devices/${deviceId}/bind`, { assetId: machine.id });
  const dispDevice = await ok(
    'post',
    '/api/devices',
    { id: `${name.toLowerCase()}-disp-1`, deviceType: 'dispenser' },
    admin,
  );
  await ok('post', `/api/devices/${dispDevice.device.id}/bind`, { assetId: dispenser.id });
  const rule = await ok('post', '/api/rules', {
    name: 'Low level',
    kind: 'threshold',
    assetType: 'dispenser',
    metric: 'level',
    operator: '<',
    threshold: 20,
    clearThreshold: 25,
  });
  const recipient = await ok('post', '/api/recipients', { email: 'ops@example.com', assetId: floor.id });
  const task = await ok('post', '/api/tasks', {
    title: 'Service the machine',
    deviceId,
    assignees: [t.users.operator.id],
  });
  const assignment = await ok('post', `/api/users/${t.users.viewer.id}/assignments`, { assetId: floor.id });
  const { rows } = await h.test.store.pool.query<{ id: string }>(
    `INSERT INTO alerts (tenant_id, rule_id, device_id, asset_id, kind, severity, metric, value, threshold, message, opened_at)
     VALUES ($1, $2, $3, $4, 'threshold', 'warning', 'level', 12, 20, 'Coffee is low', now()) RETURNING id`,
    [t.id, rule.id, dispDevice.device.id, dispenser.id],
  );
  return {
    tenant: t,
    ids: {
      tenantId: t.id,
      userId: t.users.viewer.id,
      assignmentId: assignment.id,
      siteId: site.id,
      assetId: machine.id,
      floorId: floor.id,
      pantryId: pantry.id,
      dispenserId: dispenser.id,
      outletId: outlet.id,
      machineId: machine.id,
      deviceId,
      dispenserDeviceId: dispDevice.device.id,
      ruleId: rule.id,
      recipientId: recipient.id,
      taskId: task.id,
      alertId: rows[0]?.id as string,
    },
  };
}

/**
 * Walks EVERY registered route that takes an id (from the route table, so a new route cannot be
 * forgotten) as tenant B's admin with tenant A's ids: each must answer 404 (403 for platform-only
 * routes) and never show A's data. Then, as a control, A's admin reads every GET route with the
 * same ids (200), proving the ids were real.
 */
export async function crossTenantWalk(
  h: Harness,
  a: World,
  b: World,
): Promise<{ failures: string[]; checked: number }> {
  const routes = h.api.routes.routes.filter((r) => r.path.includes(':'));
  const failures: string[] = [];
  const fill = (path: string, method: string) =>
    path.replace(/:(\w+)/g, (_, name: string) => {
      const value = a.ids[name];
      if (!value) failures.push(`${method} ${path}: no fixture for :${name} (add it to test/fixtures.ts)`);
      return encodeURIComponent(value ?? 'missing');
    });
  for (const route of routes) {
    const path = fill(route.path, route.method);
    if (route.body && route.example === undefined) failures.push(`${route.method} ${route.path}: body without example`);
    const res = await h.req(route.method, path, {
      token: b.tenant.users.admin.token,
      body: route.body ? route.example : undefined,
    });
    const expected = route.access === 'platform' ? 403 : 404;
    if (res.status !== expected)
      failures.push(
        `${route.method.toUpperCase()} ${path} as ${b.tenant.name} admin: ${res.status} ${res.text.slice(0, 200)}`,
      );
    else if (res.text.includes(a.tenant.name)) failures.push(`${route.method.toUpperCase()} ${path}: leaked data`);
  }
  for (const route of routes.filter((r) => r.method === 'get')) {
    const res = await h.req('get', fill(route.path, 'get'), { token: a.tenant.users.admin.token });
    if (res.status !== 200)
      failures.push(`control GET ${route.path} as ${a.tenant.name} admin: ${res.status} ${res.text.slice(0, 200)}`);
  }
  return { failures, checked: routes.length };
}
