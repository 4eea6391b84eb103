import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SeedStack, startSeedStack } from './seed-stack.js';

const CUSTOMER1 = 'b0c2bda5-0d6d-4c6a-86d4-76489ea2b9df';
const CUSTOMER2 = '09a96248-2a72-4288-ac9b-02f2779161e3';
const D1 = '71bf19cb-e7e7-4334-af31-5ebba56a655d';
const D2 = '1cf67335-0793-42ad-80f3-3156cabc9da9';
const D3 = '94324014-0b4c-4b7e-840c-ff82f5304b06';
// step 10 of the seed's README, as written (its sample_data.json for customer 1)
const SAMPLE = [
  ['2022-01-21T10:56:18.950901', 0.63, D1],
  ['2022-01-21T10:57:18.950901', 0.9, D1],
  ['2022-01-21T10:58:18.950901', 0.9, D1],
  ['2022-01-21T10:59:18.950901', 0.32, D1],
  ['2022-01-21T11:00:18.950901', 0.96, D2],
  ['2022-01-21T11:01:18.950901', 0.45, D2],
  ['2022-01-21T11:02:18.950901', 0.55, D2],
  ['2022-01-21T11:03:18.950901', 0.94, D1],
  ['2022-01-21T11:04:18.950901', 0.61, D3],
  ['2022-01-21T11:05:18.950901', 0.09, D1],
].map(([timestamp, reading, device_id]) => ({ timestamp, reading, device_id, customer_id: CUSTOMER1 }));

// Seed 001 (IoT reading aggregator, DRF + simplejwt): its README's Postman steps replayed against
// the all-in-one stack. Its sample data is from 2022: the stack's late window is widened for it.
describe('seed 001: reading aggregator', () => {
  let s: SeedStack;
  beforeAll(async () => {
    s = await startSeedStack({ LATE_WINDOW: '3650d' });
    await s.tenant('Customer1', [{ username: 'customer1', password: 'User1@1234', role: 'admin' }], {
      externalId: CUSTOMER1,
    });
    await s.tenant('Customer2', [{ username: 'customer2', password: 'User2@1234', role: 'admin' }], {
      externalId: CUSTOMER2,
    });
  }, 120_000);
  afterAll(() => s?.close());

  const token = async (username: string, password: string) => {
    const r = await s.req('post', '/api/token/', { body: { username, password } });
    expect(r.status).toBe(200);
    expect(Object.keys(r.body).sort()).toEqual(['access', 'refresh']);
    return r.body.access as string;
  };

  it('takes a customer’s readings at /api/device/create/ with its JWT, and answers them with +00:00 times', async () => {
    const access = await token('customer1', 'User1@1234');
    const r = await s.req('post', '/api/device/create/', { token: access, body: SAMPLE });
    expect(r.status).toBe(201);
    expect(r.body).toHaveLength(10);
    expect(r.body[0]).toEqual({
      timestamp: '2022-01-21T10:56:18.950+00:00',
      reading: 0.63,
      device_id: D1,
      customer_id: CUSTOMER1,
    });
    // posting the same batch again stores nothing twice (event ids derive from device and time)
    expect((await s.req('post', '/api/device/create/', { token: access, body: SAMPLE })).status).toBe(201);
    // step 12: the customer's devices
    const devices = await s.req('get', '/api/devices', { token: access });
    expect(devices.status).toBe(200);
    expect(devices.body.items.map((d: { id: string }) => d.id).sort()).toEqual([D1, D2, D3].sort());
  });

  it('serves each customer the mean per N minutes of its own devices; an admin sees every customer', async () => {
    const access = await token('customer1', 'User1@1234');
    const q = '?start=2022-01-21T10:55:00Z&end=2022-01-21T11:10:00Z&aggregation_size_minutes=5';
    const r = await s.req('get', `/api/readings/aggregated/${q}`, { token: access });
    expect(r.status).toBe(200);
    const byDevice = Object.fromEntries(r.body.data.map((d: { device_id: string }) => [d.device_id, d]));
    expect(byDevice[D1]).toMatchObject({
      customer_id: CUSTOMER1,
      from: '2022-01-21T10:55:00+00:00',
      to: '2022-01-21T11:10:00+00:00',
      aggregation_size_minutes: 5,
    });
    const values = byDevice[D1].aggregated_values.map((v: { from: string; value: number }) => [v.from, v.value]);
    expect(values.map(([f]: [string]) => f)).toEqual([
      '2022-01-21T10:55:00+00:00',
      '2022-01-21T11:00:00+00:00',
      '2022-01-21T11:05:00+00:00',
    ]);
    expect(values[0][1]).toBeCloseTo((0.63 + 0.9 + 0.9 + 0.32) / 4, 10); // once, though posted twice
    expect(values[1][1]).toBeCloseTo(0.94, 10);
    expect(byDevice[D2].aggregated_values[0].value).toBeCloseTo((0.96 + 0.45 + 0.55) / 3, 10);

    const other = await token('customer2', 'User2@1234');
    expect((await s.req('get', `/api/readings/aggregated/${q}`, { token: other })).body.data).toEqual([]);
    const admin = await s.req('get', `/api/readings/aggregated/${q}`, { token: s.platformToken });
    expect(new Set(admin.body.data.map((d: { customer_id: string }) => d.customer_id))).toEqual(new Set([CUSTOMER1]));
  });

  it('refuses another customer’s id or devices, and a relay-less anonymous upload', async () => {
    const other = await token('customer2', 'User2@1234');
    const foreignCustomer = await s.req('post', '/api/device/create/', { token: other, body: SAMPLE.slice(0, 1) });
    expect(foreignCustomer.status).toBe(403);
    const foreignDevice = await s.req('post', '/api/device/create/', {
      token: other,
      body: [{ ...SAMPLE[0], customer_id: CUSTOMER2 }],
    });
    expect(foreignDevice.status).toBe(403);
    expect(foreignDevice.headers.get('content-type')).toContain('application/problem+json');
    expect((await s.req('post', '/api/device/create/', { body: SAMPLE })).status).toBe(401);
    const bad = await s.req('post', '/api/device/create/', {
      token: other,
      body: [{ timestamp: 'yesterday', reading: 'high', device_id: 'x', customer_id: CUSTOMER2 }],
    });
    expect(bad.status).toBe(400);
  });
});
