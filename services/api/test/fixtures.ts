import { type Harness, startApi, type TenantFixture } from './helpers.js';
import { ingest } from './ingest.js';

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
  // a device type only this world has (device types are per tenant, by name)
  const typeName = `${name.toLowerCase()}_press`;
  await ok('post', '/api/devices', { id: `${name.toLowerCase()}-press-1`, deviceType: typeName }, admin);
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
  const command = await ok('post', `/api/devices/${deviceId}/commands`, { name: 'reboot' });
  // a firmware image for the ozone device and a rollout of it (#18); the image is a raw body
  const upload = await fetch(`${h.url}/api/firmware?deviceType=ozone&version=1.0.0`, {
    method: 'POST',
    headers: { authorization: `Bearer ${manager}`, 'content-type': 'application/octet-stream' },
    body: Buffer.from(`${name} firmware image`),
  });
  if (upload.status !== 201) throw new Error(`firmware upload: ${upload.status} ${await upload.text()}`);
  const image = (await upload.json()) as { id: string };
  const rollout = await ok('post', '/api/firmware/rollouts', { imageId: image.id, deviceIds: [deviceId] });
  const assignment = await ok('post', `/api/users/${t.users.viewer.id}/assignments`, { assetId: floor.id });
  const dashboard = await ok('post', '/api/dashboards', {
    name: `${name} overview`,
    layout: {
      widgets: [
        { id: 'w1', kind: 'latest', position: { x: 0, y: 0, w: 3, h: 2 }, binding: { deviceId, metric: 'reading' } },
      ],
    },
  });
  const meter = await ok('post', '/api/devices/create/', {
    name: `${name} Thermostat`,
    max_consumption: 150,
    price: 9,
  });
  const { rows } = await h.test.store.pool.query<{ id: string }>(
    `INSERT INTO alerts (tenant_id, rule_id, device_id, asset_id, kind, severity, metric, value, threshold, message, opened_at)
     VALUES ($1, $2, $3, $4, 'threshold', 'warning', 'level', 12, 20, 'Coffee is low', now()) RETURNING id`,
    [t.id, rule.id, dispDevice.device.id, dispenser.id],
  );
  // readings on both devices, with a value no other world has, so a telemetry route that reads
  // this tenant's rows (even only as statistics) shows it in its answer
  const recent = new Date(Date.now() - 3_600_000).toISOString();
  const value = 100_000 + Math.floor(Math.random() * 900_000) + 0.25;
  await ingest(h.test.store, [
    { tenantId: t.id, deviceId, ts: recent, metrics: { 'treatments.basic': value, reading: value } },
    { tenantId: t.id, deviceId: dispDevice.device.id as string, ts: recent, metrics: { level: value } },
  ]);
  return {
    tenant: t,
    ids: {
      tenantId: t.id,
      customerId: `ext-${name}`,
      readingValue: String(value),
      userId: t.users.viewer.id,
      assignmentId: assignment.id,
      siteId: site.id,
      assetId: machine.id,
      floorId: floor.id,
      pantryId: pantry.id,
      dispenserId: dispenser.id,
      outletId: outlet.id,
      machineId: machine.id,
      meterId: meter.id,
      typeName,
      deviceId,
      dispenserDeviceId: dispDevice.device.id,
      ruleId: rule.id,
      recipientId: recipient.id,
      taskId: task.id,
      commandId: command.id,
      dashboardId: dashboard.id,
      imageId: image.id,
      rolloutId: rollout.id,
      alertId: rows[0]?.id as string,
    },
  };
}

/** A fresh API with two tenants' worlds, Alpha and Beta: the setup of the cross-tenant suites. */
export async function startTwoWorlds(): Promise<{ h: Harness; a: World; b: World }> {
  const h = await startApi();
  try {
    return { h, a: await buildWorld(h, 'Alpha'), b: await buildWorld(h, 'Beta') };
  } catch (err) {
    await h.close();
    throw err;
  }
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
  const swapped = await crossTenantFieldWalk(h, a, b);
  failures.push(...swapped.failures);
  return { failures, checked: routes.length + swapped.checked };
}

/**
 * Query and body fields that name something of a tenant (canonical and seed names), and the
 * fixture id each takes. A field named like this in any route's schema is walked below.
 */
const ID_FIELDS: Record<string, string> = {
  tenantId: 'tenantId',
  tenant_id: 'tenantId',
  customer_id: 'customerId',
  deviceId: 'deviceId',
  device_id: 'deviceId',
  assetId: 'assetId',
  asset_id: 'assetId',
  parentId: 'assetId',
  outletId: 'outletId',
  outlet_id: 'outletId',
  outlet: 'outletId',
  machineId: 'machineId',
  machine_id: 'machineId',
  siteId: 'siteId',
  site_id: 'siteId',
  floor: 'floorId',
  pantry: 'pantryId',
  userId: 'userId',
  user_id: 'userId',
  assignee: 'userId',
  actorId: 'userId',
  ruleId: 'ruleId',
  imageId: 'imageId',
};
/** Array fields of ids. */
const ID_LIST_FIELDS: Record<string, string> = { assignees: 'userId', userIds: 'userId', deviceIds: 'deviceId' };
/** Bodies that take exactly one of these: the walked field replaces its siblings from the example. */
const ONE_OF = [
  ['deviceId', 'assetType', 'assetId'],
  ['assetId', 'ruleId'],
  ['siteId', 'assetId'],
];

const keysOf = (schema: unknown): string[] =>
  schema && typeof schema === 'object' && 'shape' in schema ? Object.keys((schema as { shape: object }).shape) : [];

/**
 * The ids a route takes in its query string or body (`?tenantId=`, `?tenant_id=`, `deviceId` in a
 * body, ...), not only in its path: for EVERY route, each such field alone is set to tenant A's id
 * while everything else is tenant B's own (path ids, the example body), and B's admin calls it.
 * The answer must be 403/404, or a success that shows nothing of A (a list filtered down to
 * nothing). A's devices have readings, so a telemetry query that reads A's rows shows them.
 */
export async function crossTenantFieldWalk(
  h: Harness,
  a: World,
  b: World,
): Promise<{ failures: string[]; checked: number }> {
  const failures: string[] = [];
  let checked = 0;
  const now = Date.now();
  // ranges that cover the fixtures' readings, for routes that require one
  const RANGE: Record<string, string> = {
    from: new Date(now - 2 * 86_400_000).toISOString(),
    to: new Date(now + 3_600_000).toISOString(),
    start: new Date(now - 2 * 86_400_000).toISOString(),
    end: new Date(now + 3_600_000).toISOString(),
  };
  const foreign = (key: string) => a.ids[key] as string;
  const own = (key: string) => b.ids[key] as string;
  // (not the assignment's serial id: a short number appears anywhere)
  const markers = [a.tenant.name, ...Object.values(a.ids)].filter((m) => m.length >= 6);
  const ownPath = (path: string) =>
    path.replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(b.ids[name] ?? 'missing'));
  const ownBody = (example: unknown): Record<string, unknown> => {
    const body: Record<string, unknown> = { ...(example as Record<string, unknown>) };
    for (const k of Object.keys(body)) {
      const key = ID_FIELDS[k];
      const listKey = ID_LIST_FIELDS[k];
      if (key) body[k] = own(key);
      else if (listKey) body[k] = [own(listKey)];
    }
    return body;
  };

  for (const route of h.api.routes.routes) {
    // (device routes take a device token: a user's is refused before any id is read)
    if (route.access === 'public' || route.access === 'device') continue;
    const queryKeys = keysOf(route.query);
    const bodyKeys = keysOf(route.body);
    const cases: { where: 'query' | 'body'; field: string; value: unknown }[] = [];
    for (const [where, keys] of [
      ['query', queryKeys],
      ['body', bodyKeys],
    ] as const) {
      for (const field of keys) {
        const key = ID_FIELDS[field];
        const listKey = ID_LIST_FIELDS[field];
        if (key) cases.push({ where, field, value: foreign(key) });
        else if (listKey) cases.push({ where, field, value: [foreign(listKey)] });
      }
    }
    for (const c of cases) {
      checked++;
      const query = new URLSearchParams();
      for (const k of queryKeys) if (RANGE[k]) query.set(k, RANGE[k]);
      const body = route.body ? ownBody(route.example) : undefined;
      if (c.where === 'query') query.set(c.field, String(c.value));
      else if (body) {
        // (a patch is merged with the stored row: its siblings are cleared explicitly)
        for (const k of ONE_OF.filter((g) => g.includes(c.field)).flat())
          if (k !== c.field && bodyKeys.includes(k)) body[k] = route.method === 'patch' ? null : undefined;
        body[c.field] = c.value;
      }
      const qs = query.toString();
      const path = `${ownPath(route.path)}${qs ? `?${qs}` : ''}`;
      const res = await h.req(route.method, path, { token: b.tenant.users.admin.token, body });
      const what = `${route.method.toUpperCase()} ${route.path} with ${c.where}.${c.field} of ${a.tenant.name}`;
      if (res.status >= 200 && res.status < 300) {
        const shown = withoutRefusedItems(res.body, res.text);
        const leaked = markers.filter((m) => shown.includes(m));
        if (leaked.length)
          failures.push(`${what}: ${res.status} shows ${leaked.join(', ')}: ${res.text.slice(0, 200)}`);
      } else if (![403, 404].includes(res.status)) {
        // a 400 would hide whether the id was checked: make the rest of the request valid instead
        failures.push(`${what}: ${res.status} ${res.text.slice(0, 200)}`);
      } else if (res.text.includes(a.tenant.name)) {
        failures.push(`${what}: ${res.status} names ${a.tenant.name}: ${res.text.slice(0, 200)}`);
      }
    }
  }
  return { failures, checked };
}

/**
 * A bulk answer's per-item refusals (`results: [{ ok: false, code: 'NOT_FOUND', ... }]`) name the
 * caller's own input, exactly as for an id that does not exist: the same answer, no data of the
 * other tenant. What is left of the answer is searched for the other tenant's markers.
 */
function withoutRefusedItems(body: unknown, text: string): string {
  const results = (body as { results?: unknown } | null)?.results;
  if (!Array.isArray(results)) return text;
  const kept = results.filter(
    (r) => !(r && typeof r === 'object' && 'ok' in r && r.ok === false && 'code' in r && r.code === 'NOT_FOUND'),
  );
  return JSON.stringify({ ...(body as object), results: kept });
}
