import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startApi, type TenantFixture } from './helpers.js';

// #14: payload decoders per device type (set by managers/admins, tried with /decoder/test), and the
// id conflicts the pipeline kept apart, through the API; tenant-scoped.
let h: Harness;
let a: TenantFixture;
let b: TenantFixture;

beforeAll(async () => {
  h = await startApi();
  a = await h.tenant('DecA');
  b = await h.tenant('DecB');
  for (const [t, id] of [
    [a, 'dec-a1'],
    [b, 'dec-b1'],
  ] as const) {
    const r = await h.req('post', '/api/devices', { token: t.users.admin.token, body: { id, deviceType: 'thermo' } });
    expect(r.status, r.text).toBe(201);
  }
});
afterAll(async () => {
  await h?.close();
});

const SPEC = {
  eventId: ['hdr.seq'],
  ts: ['hdr.time'],
  tsUnit: 'ms',
  metrics: { 'p.t10': { name: 'temperature', scale: 0.1 } },
  flatten: false,
};

describe('device type decoders', () => {
  it('shows the built-in default, and what a sample becomes with it', async () => {
    const r = await h.req('get', '/api/device-types/thermo/decoder', { token: a.users.viewer.token });
    expect(r.status, r.text).toBe(200);
    expect(r.body).toMatchObject({ builtIn: true, decoder: { format: 'auto', ts: ['ts', 'timestamp'] } });
    const t = await h.req('post', '/api/device-types/thermo/decoder/test', {
      token: a.users.operator.token,
      body: { payload: 't=22.1&h=40' },
    });
    expect(t.status, t.text).toBe(200);
    expect(t.body).toMatchObject({ ok: true, event: { metrics: { t: 22.1, h: 40 }, idSource: 'arrival' } });
  });

  it('lets managers and admins set a decoder, not operators or viewers; the test endpoint then uses it', async () => {
    for (const role of ['operator', 'viewer'] as const) {
      const r = await h.req('put', '/api/device-types/thermo/decoder', { token: a.users[role].token, body: SPEC });
      expect(r.status, `${role}: ${r.text}`).toBe(403);
    }
    const bad = await h.req('put', '/api/device-types/thermo/decoder', {
      token: a.users.manager.token,
      body: { script: 'return 1' },
    });
    expect(bad.status).toBe(400);
    const put = await h.req('put', '/api/device-types/thermo/decoder', { token: a.users.manager.token, body: SPEC });
    expect(put.status, put.text).toBe(200);
    const sample = { payload: { hdr: { seq: 9, time: 1767225600000 }, p: { t10: 221, rssi: -60 } } };
    const t = await h.req('post', '/api/device-types/thermo/decoder/test', {
      token: a.users.manager.token,
      body: sample,
    });
    expect(t.body).toMatchObject({
      ok: true,
      event: { eventId: '9', ts: '2026-01-01T00:00:00.000Z', attributes: { 'p.rssi': -60 } },
    });
    expect(t.body.event.metrics.temperature).toBeCloseTo(22.1, 10);
    // a decoder tried before saving, and a sample the decoder refuses
    const tried = await h.req('post', '/api/device-types/thermo/decoder/test', {
      token: a.users.manager.token,
      body: { payload: '{"x":1}', decoder: { requireEventId: true } },
    });
    expect(tried.body).toMatchObject({ ok: false, reason: 'no_event_id' });
    // it is the type's now; tenant B's type of the same name is untouched
    const mine = await h.req('get', '/api/device-types/thermo/decoder', { token: a.users.viewer.token });
    expect(mine.body).toMatchObject({ builtIn: false, decoder: SPEC });
    const theirs = await h.req('get', '/api/device-types/thermo/decoder', { token: b.users.admin.token });
    expect(theirs.body.builtIn).toBe(true);
    const audit = await h.test.store.pool.query(
      "SELECT tenant_id FROM audit_log WHERE action = 'device_type.decoder_set' AND entity_id = 'thermo'",
    );
    expect(audit.rows.map((r) => r.tenant_id)).toEqual([a.id]);
    const del = await h.req('delete', '/api/device-types/thermo/decoder', { token: a.users.admin.token });
    expect(del.status).toBe(204);
    const after = await h.req('get', '/api/device-types/thermo/decoder', { token: a.users.viewer.token });
    expect(after.body.builtIn).toBe(true);
  });

  it('answers 404 for a type the tenant does not have', async () => {
    const r = await h.req('put', '/api/device-types/nope/decoder', { token: a.users.admin.token, body: SPEC });
    expect(r.status).toBe(404);
  });
});

describe('id conflicts through the API', () => {
  it('shows a device’s conflicts with both versions, to its tenant only', async () => {
    const ts = new Date(Date.now() - 60_000);
    await h.test.store.pool.query(
      `INSERT INTO telemetry_raw (tenant_id, device_id, event_id, ts, received_at, kind, source, metrics)
       VALUES ($1, 'dec-a1', '7', $2, $2, 'telemetry', 'mqtt', '{"counter":41}')`,
      [a.id, ts],
    );
    await h.test.store.pool.query(
      `INSERT INTO telemetry_conflicts (tenant_id, device_id, event_id, fingerprint, kind, source, device_ts, ts,
                                        received_at, metrics, src_partition, src_offset)
       VALUES ($1, 'dec-a1', '7', 'f2', 'telemetry', 'mqtt', $2, $2, $2, '{"counter":3}', 0, 5)`,
      [a.id, new Date(ts.getTime() + 30_000)],
    );
    const r = await h.req('get', '/api/devices/dec-a1/conflicts', { token: a.users.operator.token });
    expect(r.status, r.text).toBe(200);
    expect(r.body.items).toMatchObject([
      {
        eventId: '7',
        reason: 'id_conflict',
        stored: { metrics: { counter: 41 } },
        conflicting: { metrics: { counter: 3 } },
      },
    ]);
    const tenantWide = await h.req('get', '/api/telemetry/conflicts', { token: a.users.manager.token });
    expect(tenantWide.body.perDevice).toEqual({ 'dec-a1': 1 });
    expect((await h.req('get', '/api/devices/dec-a1/conflicts', { token: b.users.admin.token })).status).toBe(404);
    const theirs = await h.req('get', '/api/telemetry/conflicts', { token: b.users.manager.token });
    expect(theirs.body).toMatchObject({ items: [], perDevice: {} });
  });
});
