import { describe, expect, it } from 'vitest';
import type { Asset, Device, Site } from '../api/types.js';
import { applyAlertChange, applyTelemetry, assetPath, groupBySite, isOnline, siteIdOfAsset } from './fleet.js';

const asset = (id: string, parentId: string | null, siteId: string | null): Asset => ({
  id,
  tenantId: 't',
  siteId,
  parentId,
  type: 'x',
  name: id.toUpperCase(),
  isActive: true,
  attributes: {},
  createdAt: '2025-01-01T00:00:00Z',
  updatedAt: '2025-01-01T00:00:00Z',
});
const device = (id: string, assetId: string | null, extra: Partial<Device> = {}): Device => ({
  id,
  tenantId: 't',
  assetId,
  name: '',
  mac: null,
  firmware: null,
  deviceType: 'generic',
  state: 'active',
  online: false,
  lastSeen: null,
  expectedIntervalS: 60,
  notes: '',
  attributes: {},
  latest: {},
  eventCount: 0,
  createdAt: '2025-01-01T00:00:00Z',
  ...extra,
});
const site = (id: string): Site => ({
  id,
  tenantId: 't',
  name: id,
  address: '',
  contactPerson: '',
  timezone: 'UTC',
  isActive: true,
  attributes: {},
  createdAt: '2025-01-01T00:00:00Z',
});

describe('fleet helpers', () => {
  const assets = [asset('floor', null, 's1'), asset('pantry', 'floor', null), asset('disp', 'pantry', null)];
  const byId = new Map(assets.map((a) => [a.id, a]));

  it('finds the site and the path of a nested asset', () => {
    expect(siteIdOfAsset(byId, 'disp')).toBe('s1');
    expect(siteIdOfAsset(byId, null)).toBeNull();
    expect(assetPath(byId, 'disp')).toBe('FLOOR › PANTRY › DISP');
  });

  it('groups devices by site, unplaced ones last', () => {
    const groups = groupBySite([site('s1'), site('s2')], assets, [device('b', 'disp'), device('a', null)]);
    expect(groups.map((g) => [g.site?.id ?? null, g.devices.map((d) => d.id)])).toEqual([
      ['s1', ['b']],
      [null, ['a']],
    ]);
  });

  it('counts a device online from presence or recent data', () => {
    const now = Date.parse('2025-01-01T00:10:00Z');
    expect(isOnline({ online: true, lastSeen: null, expectedIntervalS: 60 }, now)).toBe(true);
    expect(isOnline({ online: false, lastSeen: '2025-01-01T00:08:00Z', expectedIntervalS: 60 }, now)).toBe(true);
    expect(isOnline({ online: false, lastSeen: '2025-01-01T00:05:00Z', expectedIntervalS: 60 }, now)).toBe(false);
  });

  it('merges live readings by device time, not arrival', () => {
    const d = device('d', null, { latest: { temp: { v: 20, t: Date.parse('2025-01-01T00:05:00Z') } } });
    const msg = (ts: string, v: number) => ({
      tenantId: 't',
      deviceId: 'd',
      eventId: ts,
      kind: 'telemetry' as const,
      ts,
      receivedAt: '2025-01-01T00:06:00Z',
      metrics: { temp: v, hum: 40 },
      attributes: {},
      assetId: null,
    });
    expect(applyTelemetry(d, msg('2025-01-01T00:04:00Z', 99)).latest.temp?.v).toBe(20);
    const next = applyTelemetry(d, msg('2025-01-01T00:06:00Z', 21));
    expect(next.latest.temp?.v).toBe(21);
    expect(next.latest.hum?.v).toBe(40);
    expect(next.lastSeen).toBe('2025-01-01T00:06:00Z');
  });

  it('upserts alert changes by id', () => {
    const change = {
      change: 'opened' as const,
      alertId: 'a1',
      tenantId: 't',
      ruleId: 'r',
      deviceId: 'd',
      assetId: null,
      kind: 'threshold' as const,
      severity: 'critical' as const,
      state: 'open' as const,
      metric: 'temp',
      value: 90,
      threshold: 80,
      message: 'hot',
      openedAt: '2025-01-01T00:00:00Z',
      changedAt: '2025-01-01T00:00:00Z',
      changedBy: null,
    };
    const opened = applyAlertChange([], change);
    expect(opened).toHaveLength(1);
    const acked = applyAlertChange(opened, {
      ...change,
      change: 'acknowledged',
      state: 'acknowledged',
      changedBy: 'u1',
    });
    expect(acked).toHaveLength(1);
    expect(acked[0]?.state).toBe('acknowledged');
    expect(acked[0]?.acknowledgedBy).toBe('u1');
  });
});
