import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startApi, type TenantFixture } from './helpers.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

// The firmware resource (#18) on PostgreSQL (the stack test covers the embedded store with MQTT):
// chunks as bytea, a range across a chunk boundary, a report over HTTP, the device's version.
describe('firmware on PostgreSQL', () => {
  let h: Harness;
  let t: TenantFixture;
  const image = randomBytes(600_000);
  const device = { id: 'pg-ota-1', token: '' };

  beforeAll(async () => {
    h = await startApi('postgres');
    t = await h.tenant('Ota PG');
    const created = await h.req('post', '/api/devices', {
      token: t.users.admin.token,
      body: { id: device.id, deviceType: 'pump' },
    });
    expect(created.status, created.text).toBe(201);
    const rotated = await h.req('post', `/api/devices/${device.id}/rotate-token`, {
      token: t.users.admin.token,
      body: { graceSeconds: 0 },
    });
    expect(rotated.status, rotated.text).toBe(200);
    device.token = rotated.body.token;
  });
  afterAll(() => h?.close());

  it('serves ranges of a stored image and records the device’s report', async () => {
    const up = await fetch(`${h.url}/api/firmware?deviceType=pump&version=5.1.0`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.users.manager.token}`, 'content-type': 'application/octet-stream' },
      body: image,
    });
    expect(up.status).toBe(201);
    const img = (await up.json()) as { id: string; sha256: string };
    expect(img.sha256).toBe(sha(image));
    const r = await h.req('post', '/api/firmware/rollouts', {
      token: t.users.manager.token,
      body: { imageId: img.id },
    });
    expect(r.status, r.text).toBe(201);
    const url = `${h.url}/api/device/firmware/image?rolloutId=${r.body.id}`;
    const auth = { authorization: `Bearer ${device.token}` };
    const part = await fetch(url, { headers: { ...auth, range: 'bytes=262000-524400' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe('bytes 262000-524400/600000');
    // compared by hash: a deep equal of 600 kB takes seconds (longer than the server's keep-alive)
    expect(sha(Buffer.from(await part.arrayBuffer()))).toBe(sha(image.subarray(262_000, 524_401)));
    const whole = await fetch(url, { headers: auth });
    expect(sha(Buffer.from(await whole.arrayBuffer()))).toBe(sha(image));
    // the viewer's user token is not a device token
    expect((await fetch(url, { headers: { authorization: `Bearer ${t.users.viewer.token}` } })).status).toBe(401);

    const report = await h.req('post', '/api/device/firmware/progress', {
      headers: auth,
      body: { rolloutId: r.body.id, state: 'updated', version: '5.1.0' },
    });
    expect(report.status, report.text).toBe(200);
    const view = await h.req('get', `/api/firmware/rollouts/${r.body.id}`, { token: t.users.viewer.token });
    expect(view.body).toMatchObject({ status: 'done', summary: { updated: 1, total: 1 } });
    expect(view.body.devices[0]).toMatchObject({ deviceId: device.id, state: 'updated', downloads: 2 });
    const dev = await h.req('get', `/api/devices/${device.id}`, { token: t.users.manager.token });
    expect(dev.body.firmware ?? dev.body.device?.firmware).toBe('5.1.0');
  });
});
