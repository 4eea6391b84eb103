import type { DeviceRecord } from './types.js';

/** Never the hashes: a DeviceRecord may end up in an API response or a log line. */
export const DEVICE_COLUMNS = `id, tenant_id, asset_id, name, mac, firmware, device_type, state, expected_interval_s,
  notes, attributes, token_hash IS NOT NULL AS has_token, claim_code_hash IS NOT NULL AS claimable,
  handshake_policy, legacy_http, can_relay, online, last_seen_at, last_connected_at, created_at`;

/**
 * The one row type of `devices` (#17): its columns as this package reads them, secrets only as
 * flags. Other readers (the api's device view, joined to device_state) pick from it.
 */
export interface DeviceRow {
  id: string;
  tenant_id: string | null;
  asset_id: string | null;
  name: string;
  mac: string | null;
  firmware: string | null;
  device_type: string;
  state: DeviceRecord['state'];
  expected_interval_s: number;
  notes: string;
  attributes: Record<string, unknown>;
  has_token: boolean;
  claimable: boolean;
  handshake_policy: DeviceRecord['handshakePolicy'];
  legacy_http: boolean;
  can_relay: boolean;
  online: boolean;
  last_seen_at: Date | null;
  last_connected_at: Date | null;
  created_at: Date;
}

export function toRecord(row: DeviceRow): DeviceRecord {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    assetId: row.asset_id,
    name: row.name,
    mac: row.mac,
    firmware: row.firmware,
    deviceType: row.device_type,
    state: row.state,
    expectedIntervalS: row.expected_interval_s,
    notes: row.notes,
    attributes: row.attributes,
    hasToken: row.has_token,
    claimable: row.claimable,
    handshakePolicy: row.handshake_policy,
    legacyHttp: row.legacy_http,
    canRelay: row.can_relay,
    online: row.online,
    lastSeenAt: row.last_seen_at,
    lastConnectedAt: row.last_connected_at,
    createdAt: row.created_at,
  };
}
