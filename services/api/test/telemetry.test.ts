import { allTopics, decodeMessage, TelemetryRawV1, Topics } from '@telemetry/contracts';
import { waitFor } from '@telemetry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startApi, type TenantFixture } from './helpers.js';
import { ingest } from './ingest.js';

const C1 = 'b0c2bda5-0d6d-4c6a-86d4-76489ea2b9df';
const C2 = '09a96248-2a72-4288-ac9b-02f2779161e3';

describe('telemetry reads, statistics, exports and the seeds’ flows', () => {
  let h: Harness;
  let c1: TenantFixture;
  let c2: TenantFixture;
  let ozone: TenantFixture;
  const raw: Buffer[] = [];

  beforeAll(async () => {
    h = await startApi();
    await h.bus.ensureTopics(allTopics.map((name) => ({ name })));
    // stands in for the pipeline worker: keeps what the API publishes on telemetry.raw.v1
    await h.bus.subscribe({
      groupId: 'test-pipeline',
      topics: [Topics.telemetryRaw],
      handler: async (batch) => {
        for (const m of batch.messages) {
          raw.push(m.value);
          const e = decodeMessage(TelemetryRawV1, m.value);
          await ingest(h.test.store, [{ ...e, eventId: e.eventId }]);
        }
      },
    });
    c1 = await h.tenant('Customer1');
    c2 = await h.tenant('Customer2');
    ozone = await h.tenant('Ozone');
    const pool = h.test.store.pool;
    await pool.query('UPDATE tenants SET external_id = $2 WHERE id = $1', [c1.id, C1]);
    await pool.query('UPDATE tenants SET external_id = $2 WHERE id = $1', [c2.id, C2]);
    for (const [id, tenant] of [
      ['71bf19cb-e7e7-4334-af31-5ebba56a655d', c1.id],
      ['1cf67335-0793-42ad-80f3-3156cabc9da9', c1.id],
      ['94324014-0b4c-4b7e-840c-ff82f5304b06', c1.id],
      ['c2-dev-1', c2.id],
      ['esp32-001', ozone.id],
    ]) {
      await pool.query("INSERT INTO devices (id, tenant_id, state) VALUES ($1, $2, 'active')", [id, tenant]);
    }
    const reading = (tenantId: string, deviceId: string, ts: string, value: number) => ({
      tenantId,
      deviceId,
      ts,
      metrics: { reading: value },
    });
    await ingest(h.test.store, [
      // the aggregator seed's sample readings of customer 1
      reading(c1.id, '71bf19cb-e7e7-4334-af31-5ebba56a655d', '2022-01-21T10:56:18.950901Z', 0.63),
      reading(c1.id, '71bf19cb-e7e7-4334-af31-5ebba56a655d', '2022-01-21T10:57:18.950901Z', 0.9),
      reading(c1.id, '71bf19cb-e7e7-4334-af31-5ebba56a655d', '2022-01-21T10:58:18.950901Z', 0.9),
      reading(c1.id, '71bf19cb-e7e7-4334-af31-5ebba56a655d', '2022-01-21T10:59:18.950901Z', 0.32),
      reading(c1.id, '1cf67335-0793-42ad-80f3-3156cabc9da9', '2022-01-21T11:00:18.950901Z', 0.96),
      reading(c1.id, '1cf67335-0793-42ad-80f3-3156cabc9da9', '2022-01-21T11:01:18.950901Z', 0.45),
      reading(c1.id, '1cf67335-0793-42ad-80f3-3156cabc9da9', '2022-01-21T11:02:18.950901Z', 0.55),
      reading(c1.id, '71bf19cb-e7e7-4334-af31-5ebba56a655d', '2022-01-21T11:03:18.950901Z', 0.94),
      reading(c1.id, '94324014-0b4c-4b7e-840c-ff82f5304b06', '2022-01-21T11:04:18.950901Z', 0.61),
      reading(c1.id, '71bf19cb-e7e7-4334-af31-5ebba56a655d', '2022-01-21T11:05:18.950901Z', 0.09),
      // customer 2, made up
      reading(c2.id, 'c2-dev-1', '2022-01-21T10:56:00Z', 0.2),
      reading(c2.id, 'c2-dev-1', '2022-01-21T10:58:00Z', 0.4),
      reading(c2.id, 'c2-dev-1', '2022-01-21T11:01:00Z', 1.0),
    ]);
  });
  afterAll(async () => h?.close());

  const aggregated = (token: string) =>
    h.req(
      'get',
      '/api/readings/aggregated/?start=2022-01-21T10:55:00Z&end=2022-01-21T11:10:00Z&aggregation_size_minutes=5',
      { token },
    );
  const means = (body: {
    data: { device_id: string; customer_id: string; aggregated_values: { from: string; value: number }[] }[];
  }) =>
    Object.fromEntries(
      body.data.map((d) => [
        d.device_id,
        d.aggregated_values.map((v) => [v.from.slice(11, 16), Number(v.value.toFixed(6))]),
      ]),
    );

  it('replays the aggregator seed: each customer sees only its own 5-minute means, an admin sees both', async () => {
    const one = await aggregated(c1.users.manager.token);
    expect(one.status).toBe(200);
    expect(new Set(one.body.data.map((d: { customer_id: string }) => d.customer_id))).toEqual(new Set([C1]));
    expect(means(one.body)).toEqual({
      '1cf67335-0793-42ad-80f3-3156cabc9da9': [['11:00', 0.653333]], // (0.96 + 0.45 + 0.55) / 3
      '71bf19cb-e7e7-4334-af31-5ebba56a655d': [
        ['10:55', 0.6875], // (0.63 + 0.9 + 0.9 + 0.32) / 4
        ['11:00', 0.94],
        ['11:05', 0.09],
      ],
      '94324014-0b4c-4b7e-840c-ff82f5304b06': [['11:00', 0.61]],
    });
    const two = await aggregated(c2.users.operator.token);
    // a viewer sees only devices of assets assigned to it: none here
    expect((await aggregated(c2.users.viewer.token)).body.data).toEqual([]);
    expect(means(two.body)).toEqual({
      'c2-dev-1': [
        ['10:55', 0.3],
        ['11:00', 1],
      ],
    });
    const all = await aggregated(await h.platformToken());
    expect(Object.keys(means(all.body)).sort()).toEqual([
      '1cf67335-0793-42ad-80f3-3156cabc9da9',
      '71bf19cb-e7e7-4334-af31-5ebba56a655d',
      '94324014-0b4c-4b7e-840c-ff82f5304b06',
      'c2-dev-1',
    ]);
    expect(new Set(all.body.data.map((d: { customer_id: string }) => d.customer_id))).toEqual(new Set([C1, C2]));
    // the same through the canonical aggregate route, and another customer's device is 404
    const agg = await h.req(
      'get',
      '/api/telemetry/aggregate?deviceId=c2-dev-1&metric=reading&from=2022-01-21T10:55:00Z&to=2022-01-21T11:10:00Z&bucket=5m&agg=avg,count',
      {
        token: c2.users.operator.token,
      },
    );
    expect(
      agg.body.items.map((p: { bucket: string; values: { avg: number; count: number } }) => [
        p.bucket,
        p.values.avg,
        p.values.count,
      ]),
    ).toEqual([
      ['2022-01-21T10:55:00.000Z', 0.3, 2],
      ['2022-01-21T11:00:00.000Z', 1, 1],
    ]);
    const foreign = await h.req(
      'get',
      '/api/telemetry/aggregate?deviceId=c2-dev-1&from=2022-01-21T10:55:00Z&to=2022-01-21T11:10:00Z',
      { token: c1.users.admin.token },
    );
    expect(foreign.status).toBe(404);
    const badBucket = await h.req(
      'get',
      '/api/telemetry/aggregate?deviceId=c2-dev-1&from=2022-01-21T10:55:00Z&to=2022-01-21T11:10:00Z&bucket=7x',
      { token: c2.users.admin.token },
    );
    expect(badBucket.status).toBe(400);
    const badTz = await h.req(
      'get',
      '/api/telemetry/aggregate?deviceId=c2-dev-1&from=2022-01-21T10:55:00Z&to=2022-01-21T11:10:00Z&tz=Nowhere/City',
      { token: c2.users.admin.token },
    );
    expect(badTz.body.errors[0].path).toBe('query.tz');
  });

  describe('the ozone machine', () => {
    const days = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString();
    beforeAll(async () => {
      const events = [];
      let counter = 100;
      for (let d = 5; d >= 1; d--) {
        for (let i = 0; i < d; i++) {
          const treatment = ['BASIC', 'STANDARD', 'PREMIUM'][i % 3] as string;
          counter++;
          events.push({
            tenantId: ozone.id,
            deviceId: 'esp32-001',
            eventId: `esp32-001-${counter}`,
            ts: new Date(Date.parse(days(d)) + i * 60_000).toISOString(),
            kind: 'event' as const,
            metrics: { counter, [`treatments.${treatment.toLowerCase()}`]: 1 },
            attributes: { event: 'treatment', treatment },
          });
        }
        events.push({
          tenantId: ozone.id,
          deviceId: 'esp32-001',
          eventId: `hb-${d}`,
          ts: new Date(Date.parse(days(d)) - 1000).toISOString(),
          kind: 'status' as const,
          metrics: { uptime: d },
        });
      }
      await ingest(h.test.store, events);
    });

    it('lists events (excluding heartbeats), the latest and the summary', async () => {
      const t = ozone.users.operator.token;
      const all = await h.req('get', '/api/events/?device_id=esp32-001&days=7', { token: t });
      expect(all.body).toHaveLength(20);
      const noHb = await h.req('get', '/api/events/?device_id=esp32-001&days=7&exclude_status=true', { token: t });
      expect(noHb.body).toHaveLength(15);
      expect(noHb.body[0]).toMatchObject({ device_id: 'esp32-001', event: 'treatment', counter: 115 });
      const paged = await h.req('get', '/api/devices/esp32-001/events?days=7&excludeStatus=true&limit=10', {
        token: t,
      });
      expect(paged.body.items).toHaveLength(10);
      const rest = await h.req(
        'get',
        `/api/devices/esp32-001/events?days=7&excludeStatus=true&limit=10&cursor=${paged.body.nextCursor}`,
        { token: t },
      );
      expect(rest.body.items).toHaveLength(5);
      expect(rest.body.nextCursor).toBeNull();
      const latest = await h.req('get', '/api/telemetry/latest/?device_id=esp32-001', { token: t });
      expect(latest.body.event.counter).toBe(115);
      expect(latest.body.latest.counter.value).toBe(115);
      const canonical = await h.req('get', '/api/telemetry/latest?deviceId=esp32-001', { token: t });
      expect(canonical.body.items[0].values.counter.value).toBe(115);
      const summary = await h.req('get', '/api/telemetry/summary/?device_id=esp32-001', { token: t });
      expect(summary.body).toMatchObject({ device_id: 'esp32-001', counter: 115, mode: 'BASIC' });
      expect(summary.body.metrics['treatments.basic'].sum).toBe(1 + 1 + 1 + 2 + 2);
      const s2 = await h.req('get', '/api/telemetry/summary?deviceId=esp32-001&days=7', { token: t });
      expect(s2.body.metrics.counter.max).toBe(115);
    });

    it('computes the ozone statistics: per day, cumulative, moving average, previous period; options and CSV', async () => {
      const t = ozone.users.viewer.token;
      // viewers see only assigned assets: give the viewer the machine of the device
      const m = ozone.users.manager.token;
      const outlet = await h.req('post', '/api/outlets/', { token: m, body: { name: 'Downtown' } });
      const machine = await h.req('post', '/api/machines/register/', {
        token: m,
        body: { device_id: 'esp32-001', outlet_id: outlet.body.id, name: 'A' },
      });
      await h.req('post', `/api/users/${ozone.users.viewer.id}/assignments`, {
        token: m,
        body: { assetId: outlet.body.id },
      });

      const q = `granularity=day&days=7&tz=UTC&outlet_id=${outlet.body.id}`;
      const stats = await h.req('get', `/api/test/stats/?${q}`, { token: t });
      expect(stats.status).toBe(200);
      expect(stats.body.labels).toHaveLength(8); // 7 days span 8 calendar days
      const byName = Object.fromEntries(
        stats.body.series.map((s: { name: string; total: number; data: number[] }) => [s.name, s]),
      );
      // day d (5..1) has d treatments cycling BASIC, STANDARD, PREMIUM
      expect(byName.BASIC.total).toBe(1 + 1 + 1 + 2 + 2);
      expect(byName.STANDARD.total).toBe(0 + 1 + 1 + 1 + 2);
      expect(byName.PREMIUM.total).toBe(0 + 0 + 1 + 1 + 1);
      const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
      expect(sum(stats.body.series.map((s: { total: number }) => s.total))).toBe(15);

      const cum = await h.req('get', `/api/test/stats/?${q}&cumulative=true&ma=2&compare=true`, { token: t });
      const basic = cum.body.series.find((s: { name: string }) => s.name === 'BASIC');
      const plain = byName.BASIC.data as number[];
      let acc = 0;
      const running = plain.map((v) => (acc += v));
      expect(basic.data).toEqual(running.map((v, i) => (i === 0 ? v : (v + (running[i - 1] as number)) / 2)));
      expect(cum.body.previous.labels).toHaveLength(8);
      expect(sum(cum.body.previous.series.map((s: { total: number }) => s.total))).toBe(0);

      const byMachine = await h.req(
        'get',
        `/api/telemetry/stats?granularity=month&days=30&machineId=${machine.body.id}`,
        { token: t },
      );
      expect(sum(byMachine.body.series.map((s: { total: number }) => s.total))).toBe(15);
      const tooFine = await h.req('get', '/api/telemetry/stats?granularity=minute&days=30&deviceId=esp32-001', {
        token: m,
      });
      expect(tooFine.status).toBe(400);

      const options = await h.req('get', `/api/test/stats-options/?outlet_id=${outlet.body.id}`, { token: t });
      expect(options.body.outlets.map((o: { name: string }) => o.name)).toEqual(['Downtown']);
      expect(options.body.machines.map((o: { id: string }) => o.id)).toEqual([machine.body.id]);
      expect(options.body.devices.map((o: { id: string }) => o.id)).toEqual(['esp32-001']);

      const csv = await h.req('get', `/api/test/stats-export.csv?${q}&compare=true`, { token: t });
      expect(csv.headers.get('content-type')).toContain('text/csv');
      const lines = csv.text.trim().split('\r\n');
      expect(lines[0]).toBe('bucket,BASIC,STANDARD,PREMIUM,previous_BASIC,previous_STANDARD,previous_PREMIUM');
      expect(lines).toHaveLength(9);
    });

    it('streams CSV exports across chunks, in order, without duplicates', async () => {
      const start = Date.parse('2024-03-01T00:00:00Z');
      const events = [];
      for (let i = 0; i < 2500; i++) {
        // two devices share timestamps: the keyset must still visit each row once
        events.push({
          tenantId: ozone.id,
          deviceId: 'esp32-001',
          ts: new Date(start + i * 60_000).toISOString(),
          metrics: { temp: i },
        });
      }
      await ingest(h.test.store, events);
      const csv = await h.req(
        'get',
        '/api/telemetry/export.csv?deviceId=esp32-001&from=2024-03-01T00:00:00Z&to=2024-03-03T00:00:00Z',
        {
          token: ozone.users.operator.token,
        },
      );
      expect(csv.headers.get('content-disposition')).toMatch(/attachment; filename="esp32-001-2024-03-01.csv"/);
      const lines = csv.text.trim().split('\r\n');
      expect(lines[0]).toBe('ts,device_id,event_id,kind,temp,attributes,received_at');
      expect(lines).toHaveLength(2501);
      const temps = lines.slice(1).map((l) => Number(l.split(',')[4]));
      expect(temps).toEqual(Array.from({ length: 2500 }, (_, i) => i));
      const agg = await h.req(
        'get',
        '/api/telemetry/export.csv?deviceId=esp32-001&from=2024-03-01T00:00:00Z&to=2024-03-03T00:00:00Z&bucket=1d',
        {
          token: ozone.users.operator.token,
        },
      );
      const rows = agg.text.trim().split('\r\n');
      expect(rows[0]).toBe('bucket,device_id,metric,avg,min,max,sum,count,last');
      expect(rows.slice(1).map((r) => r.split(',').slice(0, 3).join(','))).toEqual([
        '2024-03-01T00:00:00.000Z,esp32-001,temp',
        '2024-03-02T00:00:00.000Z,esp32-001,temp',
      ]);
      const legacy = await h.req('get', '/api/export/?device_id=esp32-001&days=30', {
        token: ozone.users.operator.token,
      });
      expect(legacy.text.trim().split('\r\n')).toHaveLength(21);
    });

    it('purges a device’s or the tenant’s data only for admins, with confirmation', async () => {
      const op = await h.req('delete', '/api/telemetry/devices/esp32-001?confirm=esp32-001', {
        token: ozone.users.operator.token,
      });
      expect(op.status).toBe(403);
      const noConfirm = await h.req('delete', '/api/telemetry/devices/esp32-001', { token: ozone.users.admin.token });
      expect(noConfirm.status).toBe(400);
      expect(noConfirm.body.detail).toContain('?confirm=esp32-001');
      const purged = await h.req('delete', '/api/telemetry/devices/esp32-001?confirm=esp32-001', {
        token: ozone.users.admin.token,
      });
      expect(purged.body).toMatchObject({ deviceId: 'esp32-001', deleted: 2520 });
      expect((await h.req('get', '/api/events/?device_id=esp32-001', { token: ozone.users.admin.token })).body).toEqual(
        [],
      );
      expect((await h.req('post', '/api/flush/', { token: ozone.users.admin.token, body: {} })).status).toBe(400);
      const flush = await h.req('post', '/api/flush/?confirm=Ozone', { token: ozone.users.admin.token, body: {} });
      expect(flush.body).toMatchObject({ success: true, tenantId: ozone.id });
      // another tenant's data is untouched
      expect((await aggregated(c1.users.admin.token)).body.data).toHaveLength(3);
    });
  });

  it('replays the dispenser seed: floor → pantry → dispenser, level updates through the bus, the low-level alert', async () => {
    const m = c2.users.manager.token;
    const floor = await h.req('post', '/api/floors/', { token: m, body: { name: 'Floor 3', number: 3 } });
    const pantry = await h.req('post', '/api/pantries/', {
      token: m,
      body: { name: 'East pantry', floor: floor.body.id },
    });
    const dispenser = await h.req('post', '/api/dispensers/', {
      token: m,
      body: {
        name: 'Coffee',
        pantry: pantry.body.id,
        dispenser_type: 'coffee',
        capacity: 100,
        low_level_threshold: 20,
      },
    });
    expect(dispenser.status).toBe(201);
    expect(dispenser.body).toMatchObject({ pantry: pantry.body.id, dispenser_type: 'coffee', low_level_threshold: 20 });
    const extra = await h.req('post', '/api/dispensers/', {
      token: m,
      body: { name: 'Tea', pantry: pantry.body.id, dispenser_type: 'tea' },
    });
    expect(
      (await h.req('put', `/api/dispensers/${extra.body.id}/`, { token: m, body: { dispenser_type: 'green tea' } }))
        .body.dispenser_type,
    ).toBe('green tea');
    expect((await h.req('get', `/api/dispensers/?pantry=${pantry.body.id}`, { token: m })).body).toHaveLength(2);
    expect((await h.req('delete', `/api/dispensers/${extra.body.id}/`, { token: m })).status).toBe(204);
    expect(
      (await h.req('get', `/api/pantries/?floor=${floor.body.id}`, { token: m })).body.map((p: { id: string }) => p.id),
    ).toEqual([pantry.body.id]);

    const noDevice = await h.req('post', `/api/dispensers/${dispenser.body.id}/update-level/`, {
      token: m,
      body: { current_level: 50 },
    });
    // no device bound: the dispenser reports as its own virtual device (the seed's dispensers had none)
    expect(noDevice.status).toBe(200);
    expect(noDevice.body).toMatchObject({ device_id: `dispenser-${dispenser.body.id}`, low: false });
    await h.test.store.pool.query("INSERT INTO devices (id, tenant_id, state) VALUES ('disp-dev-1', $1, 'active')", [
      c2.id,
    ]);
    await h.req('post', '/api/devices/disp-dev-1/bind', { token: m, body: { assetId: dispenser.body.id } });
    for (const level of [60, 35, 12]) {
      const r = await h.req('post', `/api/dispensers/${dispenser.body.id}/update-level/`, {
        token: c2.users.operator.token,
        body: { current_level: level },
      });
      expect(r.status).toBe(200);
      expect(r.body.low).toBe(level < 20);
    }
    expect(
      (
        await h.req('post', `/api/dispensers/${dispenser.body.id}/update-level/`, {
          token: m,
          body: { current_level: -1 },
        })
      ).status,
    ).toBe(400);
    // the updates reached the pipeline's topic, in order, and the stored state
    const levels = raw
      .map((b) => decodeMessage(TelemetryRawV1, b))
      .filter((e) => e.deviceId === 'disp-dev-1')
      .map((e) => e.metrics.level);
    expect(levels).toEqual([60, 35, 12]);
    const latest = await waitFor(async () => {
      const r = await h.req('get', '/api/telemetry/latest?deviceId=disp-dev-1', { token: m });
      return r.body.items[0]?.values.level?.value === 12 ? r.body.items[0] : undefined;
    });
    expect(latest.deviceId).toBe('disp-dev-1');
    expect((await h.req('get', `/api/dispensers/${dispenser.body.id}/`, { token: m })).body.current_level).toBe(12);

    // the rules worker raises the low-level alert (services/rules); inserted here as it would
    await h.test.store.pool.query(
      `INSERT INTO alerts (tenant_id, device_id, asset_id, kind, severity, metric, value, threshold, message, opened_at)
       VALUES ($1, 'disp-dev-1', $2, 'threshold', 'warning', 'level', 12, 20, 'Coffee on Floor 3 / East pantry is low (12)', now())`,
      [c2.id, dispenser.body.id],
    );
    // the operator working on that floor sees its alerts (operators see by assignment, #19)
    await h.req('post', `/api/users/${c2.users.operator.id}/assignments`, {
      token: m,
      body: { assetId: floor.body.id },
    });
    const alerts = await h.req('get', `/api/alerts?assetId=${dispenser.body.id}&state=open`, {
      token: c2.users.operator.token,
    });
    expect(alerts.body.items).toHaveLength(1);
    expect(alerts.body.items[0]).toMatchObject({ metric: 'level', value: 12, state: 'open' });
    expect(
      (await h.req('get', `/api/alerts?assetId=${dispenser.body.id}`, { token: c1.users.admin.token })).body.items,
    ).toHaveLength(0);
    // the floors of a user (the seed's ?user_id=)
    await h.req('post', `/api/users/${c2.users.viewer.id}/assignments`, { token: m, body: { assetId: floor.body.id } });
    expect(
      (await h.req('get', `/api/floors/?user_id=${c2.users.viewer.id}`, { token: m })).body.map(
        (f: { id: string }) => f.id,
      ),
    ).toEqual([floor.body.id]);
  });
});
