import { createMemoryBus } from '@telemetry/bus';
import { AlertV1, allTopics, decodeMessage, Topics } from '@telemetry/contracts';
import { waitFor } from '@telemetry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWorld, type World } from './fixtures.js';
import { type Harness, startApi } from './helpers.js';
import { ingest } from './ingest.js';

// #21: rules of every kind tested against stored data; disabling or deleting a rule resolves its
// open alerts (audited, published); alerts paged and filtered with names and the site's zone.
describe('rules and alerts (#21)', () => {
  let h: Harness;
  let w: World;
  let manager: string;
  const published: AlertV1[] = [];

  const openAlert = async (ruleId: string, deviceId: string, at = new Date()) => {
    const { rows } = await h.test.store.pool.query<{ id: string }>(
      `INSERT INTO alerts (tenant_id, rule_id, device_id, asset_id, kind, severity, metric, value, threshold, message, opened_at)
       VALUES ($1, $2, $3, $4, 'threshold', 'critical', 'level', 3, 20, 'Empty', $5) RETURNING id`,
      [w.ids.tenantId, ruleId, deviceId, w.ids.dispenserId, at],
    );
    return rows[0]?.id as string;
  };

  beforeAll(async () => {
    const bus = createMemoryBus({ partitions: 1 });
    h = await startApi('embedded', { bus });
    await bus.ensureTopics(allTopics.map((name) => ({ name })));
    await bus.subscribe({
      groupId: 'rules-alerts-observer',
      topics: [Topics.alerts],
      durable: false,
      handler: async (batch) => {
        for (const m of batch.messages) published.push(decodeMessage(AlertV1, m.value));
      },
    });
    w = await buildWorld(h, 'Rules');
    manager = w.tenant.users.manager.token;
  });
  afterAll(async () => h?.close());

  it('tests a draft rule of each kind against the device’s recent data, writing nothing', async () => {
    const base = Date.now() - 3_600_000;
    const deviceId = w.ids.dispenserDeviceId as string;
    await ingest(
      h.test.store,
      [30, 25, 15, 10, 12, 40].map((level, i) => ({
        tenantId: w.ids.tenantId as string,
        deviceId,
        ts: new Date(base + i * 60_000).toISOString(),
        metrics: { level, counter: i * 50 },
      })),
    );
    const threshold = await h.req('post', '/api/rules/test', {
      token: manager,
      body: {
        deviceId,
        hours: 2,
        rule: { name: 'Low', kind: 'threshold', metric: 'level', operator: '<', threshold: 20, minDurationS: 60 },
      },
    });
    expect(threshold.status).toBe(200);
    expect(threshold.body).toMatchObject({ deviceId, wouldFire: true, truncated: false });
    expect(threshold.body.episodes).toEqual([
      expect.objectContaining({ openedAt: new Date(base + 180_000).toISOString(), value: 10, threshold: 20 }),
    ]);
    // back above at 5 min, but the clear must hold for minDurationS too: no later sample, still open
    expect(threshold.body.episodes[0].resolvedAt).toBeNull();

    const maintenance = await h.req('post', '/api/rules/test', {
      token: manager,
      body: { deviceId, rule: { name: 'Service', kind: 'maintenance', metric: 'counter', serviceInterval: 200 } },
    });
    expect(maintenance.body.episodes).toHaveLength(1);
    expect(maintenance.body.episodes[0].task).toMatch(/^Service on /);

    const offline = await h.req('post', '/api/rules/test', {
      token: manager,
      body: { deviceId, rule: { name: 'Silent', kind: 'offline', offlineFactor: 3 } },
    });
    expect(offline.status).toBe(200);
    expect(offline.body.wouldFire).toBe(true); // nothing since the last reading, an hour ago
    // a draft is checked like a rule, and nothing of it is stored
    const bad = await h.req('post', '/api/rules/test', {
      token: manager,
      body: { deviceId, rule: { name: 'x', kind: 'threshold', metric: 'level' } },
    });
    expect(bad.status).toBe(400);
    const operator = await h.req('post', '/api/rules/test', {
      token: w.tenant.users.operator.token,
      body: { deviceId, rule: { name: 'x', kind: 'offline' } },
    });
    expect(operator.status).toBe(403);
    const rules = await h.req('get', '/api/rules', { token: manager });
    expect(rules.body.items.map((r: { name: string }) => r.name)).toEqual(['Low level']);
  });

  it('disabling a rule resolves its open alerts: audited, in the history, published', async () => {
    const rule = await h.req('post', '/api/rules', {
      token: manager,
      body: { name: 'Silent dispenser', kind: 'offline', deviceId: w.ids.dispenserDeviceId, offlineFactor: 2 },
    });
    expect(rule.status).toBe(201);
    const alertId = await openAlert(rule.body.id, w.ids.dispenserDeviceId as string);
    const off = await h.req('patch', `/api/rules/${rule.body.id}`, { token: manager, body: { enabled: false } });
    expect(off.status).toBe(200);
    expect(off.body.enabled).toBe(false);
    const alert = await h.req('get', `/api/alerts/${alertId}`, { token: manager });
    expect(alert.body).toMatchObject({ state: 'resolved', resolution: 'rule_disabled' });
    expect(alert.body.events.map((e: { change: string; note: string }) => [e.change, e.note])).toContainEqual([
      'resolved',
      'rule disabled',
    ]);
    const audit = await h.test.store.pool.query(
      `SELECT action FROM audit_log WHERE entity = 'alert' AND entity_id = $1`,
      [alertId],
    );
    expect(audit.rows).toEqual([{ action: 'resolve' }]);
    const msg = await waitFor(() => published.find((m) => m.alertId === alertId));
    expect(msg).toMatchObject({ change: 'resolved', state: 'resolved' });
  });

  it('deleting a rule resolves its open alerts and keeps them', async () => {
    const rule = await h.req('post', '/api/rules', {
      token: manager,
      body: {
        name: 'Too low',
        kind: 'threshold',
        deviceId: w.ids.dispenserDeviceId,
        metric: 'level',
        operator: '<',
        threshold: 5,
      },
    });
    const alertId = await openAlert(rule.body.id, w.ids.dispenserDeviceId as string);
    expect((await h.req('delete', `/api/rules/${rule.body.id}`, { token: manager })).status).toBe(204);
    const alert = await h.req('get', `/api/alerts/${alertId}`, { token: manager });
    expect(alert.body).toMatchObject({ state: 'resolved', resolution: 'rule_deleted', ruleId: null });
    await waitFor(() => published.find((m) => m.alertId === alertId));
  });

  it('pages and filters alerts, with device names, the site and its zone; acknowledging takes the alert', async () => {
    const rule = await h.req('post', '/api/rules', {
      token: manager,
      body: { name: 'Paging', kind: 'threshold', assetType: 'dispenser', metric: 'level', operator: '<', threshold: 1 },
    });
    const t0 = Date.now() - 86_400_000;
    for (let i = 0; i < 5; i++) {
      await h.test.store.pool.query(
        `INSERT INTO alerts (tenant_id, rule_id, device_id, asset_id, kind, severity, message, opened_at, state)
         VALUES ($1, $2, $3, $4, 'threshold', 'info', $5, $6, 'resolved')`,
        [w.ids.tenantId, rule.body.id, w.ids.dispenserDeviceId, w.ids.dispenserId, `old ${i}`, new Date(t0 + i * 1000)],
      );
    }
    const q = `severity=info&siteId=${w.ids.siteId}&until=${new Date(t0 + 10_000).toISOString()}&limit=2`;
    const first = await h.req('get', `/api/alerts?${q}`, { token: manager });
    expect(first.status).toBe(200);
    expect(first.body.items.map((a: { message: string }) => a.message)).toEqual(['old 4', 'old 3']);
    expect(first.body.items[0]).toMatchObject({ siteId: w.ids.siteId, timezone: 'Europe/Berlin', assetName: 'Coffee' });
    const second = await h.req('get', `/api/alerts?${q}&cursor=${first.body.nextCursor}`, { token: manager });
    expect(second.body.items.map((a: { message: string }) => a.message)).toEqual(['old 2', 'old 1']);
    const since = await h.req('get', `/api/alerts?severity=info&since=${new Date(t0 + 3500).toISOString()}`, {
      token: manager,
    });
    expect(since.body.items).toHaveLength(1);
    const otherSite = await h.req('get', `/api/alerts?siteId=00000000-0000-4000-8000-000000000000`, { token: manager });
    expect(otherSite.body.items).toEqual([]);

    const alertId = await openAlert(rule.body.id, w.ids.deviceId as string);
    const ack = await h.req('post', `/api/alerts/${alertId}/acknowledge`, { token: manager, body: { note: 'on it' } });
    expect(ack.body).toMatchObject({
      state: 'acknowledged',
      deviceName: 'Ozone A device',
      assigneeId: w.tenant.users.manager.id,
    });
    const detail = await h.req('get', `/api/alerts/${alertId}`, { token: manager });
    expect(detail.body).toMatchObject({ acknowledgementNote: 'on it', assigneeName: expect.any(String) });
    const reassigned = await h.req('post', `/api/alerts/${alertId}/assignee`, {
      token: manager,
      body: { userId: w.tenant.users.operator.id },
    });
    expect(reassigned.body.assigneeId).toBe(w.tenant.users.operator.id);
    const byOperator = await h.req('post', `/api/alerts/${alertId}/assignee`, {
      token: w.tenant.users.operator.token,
      body: { userId: null },
    });
    expect(byOperator.status).toBe(403);
  });

  it('device types carry display names and units of their metrics', async () => {
    const put = await h.req('put', '/api/device-types/ozone', {
      token: manager,
      body: { metrics: { uptime_s: { label: 'Uptime', unit: 's' } } },
    });
    expect(put.status).toBe(200);
    expect(put.body.metrics).toEqual({ uptime_s: { label: 'Uptime', unit: 's' } });
    const list = await h.req('get', '/api/device-types', { token: manager });
    expect(list.status, list.text).toBe(200);
    expect(list.body.items.find((t: { name: string }) => t.name === 'ozone').metrics.uptime_s.label).toBe('Uptime');
  });
});
