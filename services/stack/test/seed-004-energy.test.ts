import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SeedStack, startSeedStack } from './seed-stack.js';

// Seed 004 (energy management): its README's "API Documentation" requests, replayed as written
// (URL, method, body) against the all-in-one stack; ids are UUIDs, as its own README says. Its example
// password (password123) is one of the most common ones, which the platform refuses: john has another.
describe('seed 004: energy management system', () => {
  let s: SeedStack;
  let admin: string;
  beforeAll(async () => {
    s = await startSeedStack();
    const t = await s.tenant('Energy', [{ username: 'admin-energy', password: 'admin123-energy', role: 'admin' }]);
    admin = t.users['admin-energy']?.token as string;
  }, 120_000);
  afterAll(() => s?.close());

  const login = (username: string, password: string) =>
    s.req('post', '/api/auth/login/', { body: { username, password } });

  it('registers a client and signs in with the shape both seeds read', async () => {
    const reg = await s.req('post', '/api/auth/register/', {
      token: admin,
      body: {
        username: 'john',
        password: 'John-Doe-pass-2026',
        role: 'client',
        fname: 'John',
        lname: 'Doe',
        email: 'john@example.com',
        phone: '+1234567890',
      },
    });
    expect(reg.status, reg.text).toBe(201);
    expect(reg.body.user).toMatchObject({ username: 'john', fname: 'John', lname: 'Doe', phone: '+1234567890' });

    const res = await login('john', 'John-Doe-pass-2026');
    expect(res.status).toBe(200);
    // the energy seed's answer
    expect(res.body.message).toBe('Login successful');
    expect(res.body.tokens).toMatchObject({ user: { id: reg.body.user.id, username: 'john', role: 'client' } });
    expect(res.body.tokens.access).toMatch(/^ey/);
    expect(res.body.tokens.refresh).toEqual(expect.any(String));
    // ...and the ozone seed's, on the same URL (see /docs)
    expect(res.body).toMatchObject({ success: true, user: { username: 'john', first_name: 'John', last_name: 'Doe' } });
    const adminLogin = await login('admin-energy', 'admin123-energy');
    expect(adminLogin.body.tokens.user.role).toBe('admin');
    expect(adminLogin.body.user).toMatchObject({ is_staff: true, is_superuser: false });
  });

  it('lists, reads, updates and deletes users (admin only)', async () => {
    const list = await s.req('get', '/api/users/', { token: admin });
    expect(list.status).toBe(200);
    const john = list.body.find((u: { username: string }) => u.username === 'john');
    expect(john).toMatchObject({ role: 'client', fname: 'John', lname: 'Doe', email: 'john@example.com' });
    expect(john.id).toMatch(/^[0-9a-f-]{36}$/);

    const one = await s.req('get', `/api/users/${john.id}/`, { token: admin });
    expect(one.body).toMatchObject({ id: john.id, username: 'john' });

    const upd = await s.req('put', `/api/users/${john.id}/update/`, {
      token: admin,
      body: { fname: 'John', lname: 'Smith', email: 'john.smith@example.com', phone: '+1234567890' },
    });
    expect(upd.status).toBe(200);
    expect(upd.body).toMatchObject({ fname: 'John', lname: 'Smith', email: 'john.smith@example.com' });

    const johnToken = (await login('john', 'John-Doe-pass-2026')).body.tokens.access;
    expect((await s.req('get', '/api/users/', { token: johnToken })).status).toBe(403);
    expect((await s.req('get', `/api/users/${john.id}/`, { token: johnToken })).body.lname).toBe('Smith');
    const foreign = await s.req('put', `/api/users/${john.id}/update/`, { token: johnToken, body: { fname: 'X' } });
    expect(foreign.status).toBe(403);
  });

  it('keeps devices with max_consumption and price, validated, assigned to users, deletable', async () => {
    const created = await s.req('post', '/api/devices/create/', {
      token: admin,
      body: {
        name: 'Smart Thermostat',
        description: 'WiFi-enabled temperature control',
        max_consumption: 150,
        price: 249.99,
      },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'Smart Thermostat',
      description: 'WiFi-enabled temperature control',
      max_consumption: 150,
      price: 249.99,
    });
    const deviceId = created.body.id as string;
    expect(deviceId).toMatch(/^[0-9a-f-]{36}$/);

    for (const bad of [{ price: -5 }, { price: 'free' }, { max_consumption: -5 }, { max_consumption: 'free' }]) {
      const r = await s.req('post', '/api/devices/create/', { token: admin, body: { name: 'Bad', ...bad } });
      expect(r.status, JSON.stringify(bad)).toBe(400);
      expect(r.headers.get('content-type')).toContain('application/problem+json');
      expect(r.body.errors[0].path).toBe(`body.${Object.keys(bad)[0]}`);
      const upd = await s.req('put', `/api/devices/${deviceId}/update/`, { token: admin, body: bad });
      expect(upd.status, JSON.stringify(bad)).toBe(400);
    }
    // the canonical route refuses the same values (one schema)
    const canonical = await s.req('post', '/api/assets', {
      token: admin,
      body: { type: 'meter', name: 'Bad', attributes: { price: -5 } },
    });
    expect(canonical.status).toBe(400);
    expect(canonical.body.errors[0].path).toBe('body.attributes.price');

    const upd = await s.req('put', `/api/devices/${deviceId}/update/`, {
      token: admin,
      body: { name: 'Smart Thermostat Pro', max_consumption: 120 },
    });
    expect(upd.status).toBe(200);
    expect(upd.body).toMatchObject({ name: 'Smart Thermostat Pro', max_consumption: 120, price: 249.99 });

    const users = await s.req('get', '/api/users/', { token: admin });
    const john = users.body.find((u: { username: string }) => u.username === 'john');
    const johnToken = (await login('john', 'John-Doe-pass-2026')).body.tokens.access;
    expect(await s.req('get', '/api/devices/', { token: johnToken })).toMatchObject({ status: 200, body: [] });

    const assigned = await s.req('post', '/api/devices/assign/', {
      token: admin,
      body: { user_id: john.id, device_id: deviceId },
    });
    expect(assigned.status).toBe(201);
    expect(assigned.body).toMatchObject({ user_id: john.id, device_id: deviceId });
    const mappings = await s.req('get', '/api/mappings/', { token: admin });
    expect(mappings.body).toEqual([expect.objectContaining({ user_id: john.id, device_id: deviceId })]);
    // the client sees the assigned device (and only it), read-only
    const mine = await s.req('get', '/api/devices/', { token: johnToken });
    expect(mine.body.map((d: { id: string }) => d.id)).toEqual([deviceId]);
    expect(mine.body[0]).toMatchObject({ max_consumption: 120, price: 249.99 });
    const denied = await s.req('post', '/api/devices/create/', { token: johnToken, body: { name: 'Mine' } });
    expect(denied.status).toBe(403);
    expect((await s.req('get', '/api/devices/', { token: admin })).body).toHaveLength(1);

    const un = await s.req('delete', `/api/devices/${deviceId}/unassign/?user_id=${john.id}`, { token: admin });
    expect(un.status).toBe(204);
    expect((await s.req('get', '/api/mappings/', { token: admin })).body).toEqual([]);
    expect((await s.req('get', '/api/devices/', { token: johnToken })).body).toEqual([]);

    const del = await s.req('delete', `/api/devices/${deviceId}/delete/`, { token: admin });
    expect(del.status).toBe(204);
    expect((await s.req('get', `/api/devices/${deviceId}/`, { token: admin })).status).toBe(404);
    expect((await s.req('get', '/api/devices/', { token: admin })).body).toEqual([]);
  });

  it('deletes a user with their assignments and sessions', async () => {
    const dev = await s.req('post', '/api/devices/create/', { token: admin, body: { name: 'Heater', price: 10 } });
    const users = await s.req('get', '/api/users/', { token: admin });
    const john = users.body.find((u: { username: string }) => u.username === 'john');
    await s.req('post', '/api/devices/assign/', { token: admin, body: { user_id: john.id, device_id: dev.body.id } });
    const del = await s.req('delete', `/api/users/${john.id}/delete/`, { token: admin });
    expect(del.status).toBe(204);
    expect((await login('john', 'John-Doe-pass-2026')).status).toBe(401);
    expect((await s.req('get', '/api/mappings/', { token: admin })).body).toEqual([]);
    expect((await s.req('get', `/api/users/${john.id}/`, { token: admin })).status).toBe(404);
  });

  it('lists every alias at /docs/aliases with the seed it serves and what differs', async () => {
    const page = await s.req('get', '/docs/aliases');
    expect(page.status).toBe(200);
    const energy = page.text.slice(page.text.indexOf('id="compat-energy"'));
    for (const url of ['/api/auth/login/', '/api/devices/assign/', '/api/devices/:meterId/unassign/', '/api/mappings/'])
      expect(energy).toContain(`<code>${url}</code>`);
    expect(energy).toContain('Role client is our viewer');
    for (const seed of ['Seed 000', 'Seed 001', 'Seed 002', 'Seed 003', 'Seed 004']) expect(page.text).toContain(seed);
    expect(page.text).toContain('Ids are UUIDs');
    expect(page.text).toContain('Times are UTC ISO 8601');
  });
});
