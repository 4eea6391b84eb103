import { createPasswordHasher, generatePassword, type PasswordHasher } from '@telemetry/auth';
import { seedDevice } from '@telemetry/registry';
import type { Store } from '@telemetry/store';
import { audit } from './audit.js';
import { createUser } from './users/service.js';

/**
 * Creates the first platform admin (admin without tenant) unless one exists. The password is
 * generated when not given and returned once; a generated one must be changed at first sign-in.
 */
export async function createFirstAdmin(
  store: Store,
  opts: { username?: string; password?: string; email?: string; passwords?: PasswordHasher } = {},
): Promise<{ created: boolean; username: string; password: string | null }> {
  return store.withTransaction(async (client) => {
    // one creator at a time (replicas starting together)
    await client.query("SELECT pg_advisory_xact_lock(hashtext('telemetry:first-admin'))");
    const { rows } = await client.query<{ username: string }>(
      "SELECT username FROM users WHERE role = 'admin' AND tenant_id IS NULL ORDER BY created_at LIMIT 1",
    );
    if (rows[0]) return { created: false, username: rows[0].username, password: null };
    const password = opts.password ?? generatePassword();
    const { row } = await createUser(client, opts.passwords ?? createPasswordHasher(), null, {
      username: opts.username ?? 'admin',
      password,
      role: 'admin',
      tenantId: null,
      email: opts.email ?? null,
      firstName: 'Platform',
      lastName: 'Admin',
    });
    // The password is passed explicitly (the caller shows it), so createUser took it for a chosen
    // one. A generated one was printed somewhere: it must be changed at first sign-in. The profile
    // (name) is complete already, so the password is the only setup step.
    if (opts.password === undefined)
      await client.query('UPDATE users SET must_change_password = true WHERE id = $1', [row.id]);
    return { created: true, username: row.username, password };
  });
}

export interface DemoSeed {
  tenantId: string;
  /** Created users with their passwords (the demo's; change them). */
  users: { username: string; password: string; role: string }[];
  assets: Record<string, string>;
  devices: string[];
}

/**
 * A demo tenant with the seeds' shapes: a site; floors → pantries → dispensers (000); outlets →
 * machines with ozone devices (003); energy meters with max_consumption and price (004);
 * a car-plant line with machines (002); a manager, an operator (generated, must set up) and a
 * viewer assigned to one floor; a low-level and a maintenance rule. Idempotent: an existing
 * tenant of that name is returned as is.
 */
export async function seedDemo(
  store: Store,
  opts: { tenantName?: string; passwords?: PasswordHasher; password?: string } = {},
): Promise<DemoSeed> {
  const name = opts.tenantName ?? 'Demo';
  const passwords = opts.passwords ?? createPasswordHasher();
  return store.withTransaction(async (c) => {
    await c.query("SELECT pg_advisory_xact_lock(hashtext('telemetry:seed-demo'))");
    const existing = await c.query<{ id: string }>('SELECT id FROM tenants WHERE name = $1', [name]);
    if (existing.rows[0]) return { tenantId: existing.rows[0].id, users: [], assets: {}, devices: [] };
    const t = await c.query<{ id: string }>(
      "INSERT INTO tenants (name, external_id, timezone) VALUES ($1, $2, 'Europe/Berlin') RETURNING id",
      [name, `demo-${name.toLowerCase()}`],
    );
    const tenantId = t.rows[0]?.id as string;
    const site = await c.query<{ id: string }>(
      "INSERT INTO sites (tenant_id, name, address, timezone) VALUES ($1, 'Head office', '1 Demo Street', 'Europe/Berlin') RETURNING id",
      [tenantId],
    );
    const siteId = site.rows[0]?.id as string;
    const assets: Record<string, string> = {};
    const asset = async (
      key: string,
      type: string,
      assetName: string,
      parent: string | null,
      attributes: Record<string, unknown> = {},
    ) => {
      const r = await c.query<{ id: string }>(
        'INSERT INTO assets (tenant_id, site_id, parent_id, type, name, attributes) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id',
        [tenantId, siteId, parent ? assets[parent] : null, type, assetName, JSON.stringify(attributes)],
      );
      assets[key] = r.rows[0]?.id as string;
    };
    await asset('floor1', 'floor', 'Floor 1', null, { number: 1 });
    await asset('pantry1', 'pantry', 'Pantry A', 'floor1');
    await asset('dispenser1', 'dispenser', 'Coffee 1', 'pantry1', {
      dispenser_type: 'coffee',
      capacity: 100,
      low_level_threshold: 20,
    });
    await asset('dispenser2', 'dispenser', 'Soap 1', 'pantry1', {
      dispenser_type: 'soap',
      capacity: 100,
      low_level_threshold: 15,
    });
    await asset('outlet1', 'outlet', 'Outlet Downtown', null, { address: '2 Demo Street', contact_person: 'Sam' });
    await asset('machine1', 'machine', 'Ozone A', 'outlet1');
    await asset('machine2', 'machine', 'Ozone B', 'outlet1');
    await asset('line1', 'line', 'Assembly line 1', null);
    await asset('press1', 'machine', 'Press 1', 'line1');
    await asset('meter1', 'meter', 'Energy meter 1', null, { max_consumption: 150, price: 249.99 });

    const devices: [string, string, string, number][] = [
      ['demo-dispenser-1', 'dispenser1', 'dispenser', 60],
      ['demo-dispenser-2', 'dispenser2', 'dispenser', 60],
      ['demo-ozone-1', 'machine1', 'ozone', 300],
      ['demo-ozone-2', 'machine2', 'ozone', 300],
      ['demo-press-1', 'press1', 'car_plant', 20],
      ['demo-meter-1', 'meter1', 'energy', 60],
    ];
    for (const [id, assetKey, type, interval] of devices) {
      await seedDevice(c, {
        id,
        tenantId,
        assetId: assets[assetKey] ?? null,
        name: id,
        deviceType: type,
        expectedIntervalS: interval,
      });
    }
    await c.query(
      `INSERT INTO rules (tenant_id, name, kind, asset_type, metric, operator, threshold, clear_threshold, severity, preset)
       VALUES ($1, 'Dispenser low level', 'threshold', 'dispenser', 'level', '<', 20, 25, 'warning', 'low_level')`,
      [tenantId],
    );
    await c.query(
      `INSERT INTO rules (tenant_id, name, kind, asset_type, metric, service_interval, severity)
       VALUES ($1, 'Ozone lamp service', 'maintenance', 'machine', 'counter', 10000, 'info')`,
      [tenantId],
    );

    // the dispenser seed's workflow: whoever refills Floor 1 is mailed when a dispenser runs low
    await c.query(
      "INSERT INTO notification_recipients (tenant_id, asset_id, email, name) VALUES ($1, $2, 'facilities@demo.example', 'Facilities')",
      [tenantId, assets.floor1],
    );

    const users: DemoSeed['users'] = [];
    for (const [username, role] of [
      [`${name.toLowerCase()}-manager`, 'manager'],
      [`${name.toLowerCase()}-viewer`, 'viewer'],
    ] as const) {
      // one generated password per user, changed at first sign-in (#20); a given one (tests) is kept as chosen
      const password = opts.password ?? generatePassword();
      const { row } = await createUser(c, passwords, null, {
        username,
        password,
        role,
        tenantId,
        firstName: role,
        lastName: name,
      });
      if (opts.password === undefined) {
        await c.query('UPDATE users SET must_change_password = true WHERE id = $1', [row.id]);
      }
      users.push({ username, password, role });
    }
    // The simulated fleet speaks the seed's firmware protocol (MAC-only handshakes): the demo tenant
    // opts in to MAC-only devices, on the record, like any tenant would have to (#20).
    await c.query('UPDATE tenants SET allow_mac_only = true WHERE id = $1', [tenantId]);
    await audit(c, null, {
      action: 'allow_mac_only',
      entity: 'tenant',
      entityId: tenantId,
      tenantId,
      details: { allowMacOnly: true, reason: 'demo fleet (simulated seed firmware)' },
    });
    const op = await createUser(c, passwords, null, { role: 'operator', tenantId });
    users.push({ username: op.row.username, password: op.generatedPassword ?? '', role: 'operator' });
    const viewer = await c.query<{ id: string }>('SELECT id FROM users WHERE username = $1', [
      `${name.toLowerCase()}-viewer`,
    ]);
    await c.query('INSERT INTO user_assignments (tenant_id, user_id, asset_id) VALUES ($1, $2, $3)', [
      tenantId,
      viewer.rows[0]?.id,
      assets.floor1,
    ]);
    await audit(c, null, { action: 'seed_demo', entity: 'tenant', entityId: tenantId, tenantId });
    return { tenantId, users, assets, devices: devices.map((d) => d[0]) };
  });
}
