import type { Principal } from '@telemetry/auth';
import { AppError } from '@telemetry/contracts';
import { bindAsset, type DeviceRow } from '@telemetry/registry';
import type pg from 'pg';
import { audit } from '../audit.js';
import { type Keyset, keysetClause, type Page, toPage } from '../http/pagination.js';
import { notFound, tenantWhere, visibleAssetWhere } from '../scope.js';

type Db = Pick<pg.ClientBase, 'query'>;

/**
 * A device as people read it: its row (@telemetry/registry's DeviceRow, the one type of `devices`)
 * joined to device_state, with `online` and `last_seen` computed (ONLINE, LAST_SEEN below). This
 * module only reads devices; every write goes through @telemetry/registry (#17).
 */
export interface DeviceView
  extends Pick<
    DeviceRow,
    | 'id'
    | 'tenant_id'
    | 'asset_id'
    | 'name'
    | 'mac'
    | 'firmware'
    | 'device_type'
    | 'state'
    | 'expected_interval_s'
    | 'notes'
    | 'attributes'
    | 'created_at'
    | 'online'
  > {
  last_seen: Date | null;
  latest: Record<string, { v: number; t: number }> | null;
  last_attributes: Record<string, unknown> | null;
  event_count: number | null;
  /** Device time of the latest stored event (device_state.last_ts). */
  last_ts: Date | null;
}

/**
 * Online: connected over MQTT right now (presence, 0005), or heard from (HTTP or MQTT, stored
 * or not) within max(5 min, 3 × the expected interval): the ozone seed's "online in the last
 * 5 minutes", stretched for devices that report rarely. The heard-from window counts only what
 * came AFTER the device's last MQTT disconnect: the gateway records the disconnect (online=false,
 * last_disconnected_at, last_seen_at = that instant) as it notices it, and a device it saw drop is
 * offline from then on, as Socket.IO's presence says, not "online" for 5 more minutes (#14). A
 * reading over HTTP after the disconnect makes it online again.
 */
const LAST_SEEN = 'greatest(d.last_seen_at, ds.last_seen)';
const WINDOW = `greatest(interval '5 minutes', make_interval(secs => 3 * d.expected_interval_s))`;
const ONLINE = `(d.online OR coalesce(${LAST_SEEN} > now() - ${WINDOW}
    AND (d.last_disconnected_at IS NULL OR ${LAST_SEEN} > d.last_disconnected_at), false))`;

export const DEVICE_SELECT = `SELECT d.id, d.tenant_id, d.asset_id, d.name, d.mac, d.firmware, d.device_type, d.state,
    d.expected_interval_s, d.notes, d.attributes, d.created_at, ${LAST_SEEN} AS last_seen, ${ONLINE} AS online,
    ds.latest, ds.last_attributes, ds.event_count, ds.last_ts
  FROM devices d LEFT JOIN device_state ds ON ds.tenant_id = d.tenant_id AND ds.device_id = d.id`;

export function presentDevice(r: DeviceView) {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    assetId: r.asset_id,
    name: r.name,
    mac: r.mac,
    firmware: r.firmware,
    deviceType: r.device_type,
    state: r.state,
    online: r.online,
    lastSeen: r.last_seen?.toISOString() ?? null,
    expectedIntervalS: r.expected_interval_s,
    notes: r.notes,
    attributes: r.attributes,
    latest: r.latest ?? {},
    eventCount: r.event_count ?? 0,
    createdAt: r.created_at.toISOString(),
  };
}

export type DeviceStatus = 'all' | 'online' | 'offline' | 'pending' | 'unbound';

/** Sort keys of the fleet table: each is an index of 0024 (tenant_id, key, id). */
export const DeviceSorts = ['name', 'id', 'type', 'created'] as const;
type DeviceSort = (typeof DeviceSorts)[number];

const SORT_KEYS: Record<DeviceSort, Omit<Keyset, 'direction'>> = {
  name: { column: 'd.name', type: 'text', id: 'd.id' },
  id: { column: 'd.id', type: 'text', id: 'd.id' },
  type: { column: 'd.device_type', type: 'text', id: 'd.id' },
  created: { column: 'd.created_at', type: 'timestamptz', id: 'd.id' },
};

export interface DeviceFilter {
  status?: DeviceStatus;
  state?: DeviceView['state'];
  assetId?: string;
  siteId?: string;
  deviceType?: string;
  q?: string;
  tenantId?: string;
}

export interface DevicePageRequest extends DeviceFilter {
  limit: number;
  cursor?: string;
  sort?: DeviceSort;
  dir?: 'asc' | 'desc';
}

function visibility(p: Principal, params: unknown[]): string[] {
  return [tenantWhere(p, 'd.tenant_id', params), visibleAssetWhere(p, 'd.asset_id', params)];
}

/** The WHERE of a device list; `params` receives its values. */
function filterWhere(p: Principal, f: DeviceFilter, params: unknown[]): string[] {
  const where = visibility(p, params);
  if (f.tenantId) where.push(`d.tenant_id = $${params.push(f.tenantId)}`);
  if (f.status === 'online') where.push(ONLINE);
  if (f.status === 'offline') where.push(`d.state = 'active' AND NOT ${ONLINE}`);
  if (f.status === 'pending') where.push(`d.state = 'pending'`);
  if (f.status === 'unbound') where.push(`d.state = 'active' AND d.asset_id IS NULL`);
  if (f.state) where.push(`d.state = $${params.push(f.state)}`);
  if (f.assetId) where.push(`d.asset_id = $${params.push(f.assetId)}`);
  if (f.siteId) where.push(`d.asset_id IN (SELECT id FROM assets WHERE site_id = $${params.push(f.siteId)})`);
  if (f.deviceType) where.push(`d.device_type = $${params.push(f.deviceType)}`);
  if (f.q)
    where.push(
      `(d.id ILIKE $${params.push(`%${escapeLike(f.q)}%`)} OR d.name ILIKE $${params.length} OR d.mac ILIKE $${params.length})`,
    );
  return where;
}

/** A search text is literal: `%` and `_` typed by a person match themselves. */
function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export async function listDevices(db: Db, p: Principal, f: DevicePageRequest): Promise<Page<DeviceView>> {
  const params: unknown[] = [];
  const where = filterWhere(p, f, params);
  const key = SORT_KEYS[f.sort ?? 'id'];
  const page = keysetClause({ ...key, direction: f.dir ?? 'asc' }, f.cursor, params);
  const select = DEVICE_SELECT.replace('SELECT ', `SELECT ${page.select}, `);
  const conditions = `${where.join(' AND ')} AND ${page.where}`;
  const limit = `$${params.push(f.limit + 1)}`;
  // The page is cut from devices alone, then joined to device_state: the join and the online
  // expression cost `limit + 1` rows, not the tenant's 10,000, whatever plan the statistics give
  // (a bulk-loaded table may have none yet). Only online/offline filter on device_state.
  const sql =
    f.status === 'online' || f.status === 'offline'
      ? `${select} WHERE ${conditions} ${page.order} LIMIT ${limit}`
      : `${select.replace('FROM devices d ', `FROM (SELECT d.* FROM devices d WHERE ${conditions} ${page.order} LIMIT ${limit}) d `)} ${page.order}`;
  // the keyset's _key/_id columns must be selected, or the cursor is [null,null] (#20)
  const { rows } = await db.query<DeviceView & { _key: string; _id: string }>(sql, params);
  return toPage(rows, f.limit, (r) => r as DeviceView);
}

/** Counting stops here: a bounded scan even for a huge tenant; the table shows "100,000+". */
const COUNT_CAP = 100_000;

/** How many devices match (at most COUNT_CAP; `exact` false when there are more). */
export async function countDevices(db: Db, p: Principal, f: DeviceFilter): Promise<{ count: number; exact: boolean }> {
  const params: unknown[] = [];
  const where = filterWhere(p, f, params);
  // only online/offline read device_state: the other counts stay on the devices indexes
  const join =
    f.status === 'online' || f.status === 'offline'
      ? 'LEFT JOIN device_state ds ON ds.tenant_id = d.tenant_id AND ds.device_id = d.id'
      : '';
  const { rows } = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM (SELECT 1 FROM devices d ${join}
       WHERE ${where.join(' AND ')} LIMIT $${params.push(COUNT_CAP + 1)}) s`,
    params,
  );
  const n = rows[0]?.n ?? 0;
  return { count: Math.min(n, COUNT_CAP), exact: n <= COUNT_CAP };
}

/** One device the caller may see; else 404 (pending devices: platform admins only). */
export async function getDevice(db: Db, p: Principal, deviceId: string): Promise<DeviceView> {
  const params: unknown[] = [deviceId];
  const { rows } = await db.query<DeviceView>(
    `${DEVICE_SELECT} WHERE d.id = $1 AND ${visibility(p, params).join(' AND ')}`,
    params,
  );
  if (!rows[0]) throw notFound('device');
  return rows[0];
}

/** Where the device was bound, newest first (the last 500 bindings). */
export async function listBindings(db: Db, device: Pick<DeviceView, 'id' | 'tenant_id'>) {
  const { rows } = await db.query<{
    id: number;
    asset_id: string;
    bound_at: Date;
    unbound_at: Date | null;
    bound_by: string | null;
    asset_name: string | null;
  }>(
    `SELECT b.id, b.asset_id, b.bound_at, b.unbound_at, b.bound_by, a.name AS asset_name
     FROM device_bindings b LEFT JOIN assets a ON a.id = b.asset_id
     WHERE b.device_id = $1 AND b.tenant_id = $2 ORDER BY b.bound_at DESC, b.id DESC LIMIT 500`,
    [device.id, device.tenant_id],
  );
  return rows;
}

/**
 * Binds a device to an asset (the ozone seed's MachineDevice): closes the open binding, opens
 * a new one, and points devices.asset_id at it; `assetId` null only unbinds. History is kept.
 */
export async function bindDevice(db: Db, p: Principal, device: DeviceView, assetId: string | null): Promise<void> {
  if (device.state !== 'active' || !device.tenant_id) {
    throw new AppError('CONFLICT', `device ${device.id} is ${device.state}: assign it to a tenant first`);
  }
  if (assetId) {
    const { rowCount } = await db.query('SELECT 1 FROM assets WHERE id = $1 AND tenant_id = $2', [
      assetId,
      device.tenant_id,
    ]);
    if (!rowCount) throw notFound('asset');
  }
  await bindAsset(db, { tenantId: device.tenant_id, deviceId: device.id, assetId, actorId: p.userId });
  await audit(db, p, {
    action: assetId ? 'bind' : 'unbind',
    entity: 'device',
    entityId: device.id,
    tenantId: device.tenant_id,
    details: { assetId, previousAssetId: device.asset_id },
  });
}
