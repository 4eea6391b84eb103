import { randomBytes } from 'node:crypto';
import { AppError } from '@telemetry/contracts';
import type pg from 'pg';
import { createBatchLoader } from './batch.js';
import { one, tx } from './db.js';
import { type HandshakeRules, handshakeByClaim, handshakeByMac } from './handshake.js';
import { DEVICE_COLUMNS, type DeviceRow, toRecord } from './rows.js';
import {
  hashSecret,
  isTokenShaped,
  newClaimCode,
  newToken,
  normalizeClaimCode,
  normalizeMac,
  sameHash,
} from './secrets.js';
import type {
  DeviceRecord,
  EdgePolicy,
  HandshakeInput,
  HandshakeResult,
  LastSeen,
  PreRegisterInput,
  PresenceChange,
  Scope,
  SessionCredential,
  VerifyResult,
} from './types.js';

export interface RegistryDeps {
  pool: pg.Pool;
  /**
   * How long the token replaced by a handshake or rotation stays valid. Firmware re-handshakes on
   * every boot; a response lost on the way, or a request already sent with the old token, must not
   * lock the device out. Default 1 h.
   */
  tokenGraceMs?: number;
  /** No new pending device while this many wait for an admin (DEVICE_MAX_PENDING). Default 10 000. */
  maxPending?: number;
  /**
   * MAC-only re-handshakes of an active 'mac' device less than the grace period after its last
   * token (so the token replaced is still valid), per MAC per hour; over it 429 and no token. Default 4.
   */
  macHandshakesPerHour?: number;
}

export interface Registry {
  /**
   * Ozone seed `POST /api/handshake/`. Unknown MAC: a pending device (assigned=false, policy
   * 'mac') that an admin assigns; RATE_LIMITED when maxPending devices wait already. Known MAC:
   * a NEW token every time (we keep only hashes, so the old one cannot be handed back); the
   * previous token stays valid for the grace period. 'proof' devices that hold a token must send
   * it (`proofToken`) or the claim code, else FORBIDDEN; 'mac' devices are limited to
   * macHandshakesPerHour unproven re-handshakes inside the grace window, else RATE_LIMITED.
   * Revoked: DEVICE_REVOKED. With a claim code: binds this MAC to the device an admin pre-registered.
   */
  handshake(input: HandshakeInput): Promise<HandshakeResult>;
  /** Admin: creates an active device of a tenant before it ever connects; returns its one-time claim code. */
  preRegister(input: PreRegisterInput): Promise<{ deviceId: string; claimCode: string; device: DeviceRecord }>;
  /** Admin: a pending (or revoked) device joins a tenant and optionally an asset, and becomes active. */
  assign(deviceId: string, tenantId: string, assetId?: string | null, scope?: Scope): Promise<DeviceRecord>;
  /** Admin: issues a new token. `graceMs: 0` when the old one leaked (it dies now). */
  rotateToken(deviceId: string, options?: Scope & { graceMs?: number }): Promise<{ token: string }>;
  /** Admin: refuses the device everywhere from its next CONNECT or request; tokens and claim code are erased. */
  revoke(deviceId: string, scope?: Scope): Promise<DeviceRecord>;
  /** Admin: the device edge flags (handshake policy, legacy HTTP, relaying); absent fields unchanged. */
  setEdgePolicy(deviceId: string, policy: Partial<EdgePolicy>, scope?: Scope): Promise<DeviceRecord>;
  /** MQTT CONNECT: username = device id, password = token. */
  verifyToken(deviceId: string, token: string): Promise<VerifyResult>;
  /**
   * MQTT over TLS with a client certificate our configured CA issued (the AWS IoT way, #20): the
   * certificate's subject CN names the device; no token. Pending, revoked, unknown: refused.
   */
  verifyCertificate(deviceId: string): Promise<VerifyResult>;
  /** HTTP `Authorization: Bearer <token>`: the token alone finds its device. */
  verifyBearer(token: string): Promise<VerifyResult>;
  get(deviceId: string, scope?: Scope): Promise<DeviceRecord | undefined>;
  findByMac(mac: string, scope?: Scope): Promise<DeviceRecord | undefined>;
  /** Devices waiting for an admin (no tenant yet), newest first. */
  listPending(limit?: number): Promise<DeviceRecord[]>;
  /** Of these ids, the active devices of this tenant (a gateway device posting for its tenant's devices). */
  activeInTenant(tenantId: string, deviceIds: string[]): Promise<string[]>;
  /** Whether `customerId` names this tenant: its id, or its external_id (the aggregator seed's customer_id). */
  isTenantAlias(tenantId: string, customerId: string): Promise<boolean>;
  /** Of these ids, the ones that may no longer connect (revoked, pending, deleted): open sessions to close. */
  inactive(deviceIds: string[]): Promise<string[]>;
  /**
   * Of these sessions, the device ids of the ones to close: the device may no longer connect, or
   * the token the session authenticated with is neither its current one nor the previous one
   * inside its grace window (rotated away, e.g. with no grace after a leak).
   */
  staleSessions(sessions: SessionCredential[]): Promise<string[]>;
  /** Deletes pending devices (never assigned) not heard from for `olderThanMs`; returns how many. */
  prunePending(olderThanMs: number): Promise<number>;
  /** Presence, written by the gateway holding the session. */
  recordConnected(deviceId: string, gatewayId: string, at: Date): Promise<void>;
  recordDisconnected(deviceId: string, gatewayId: string, at: Date): Promise<void>;
  /**
   * Many presence changes in one statement, each as recordConnected (online) or recordDisconnected
   * (offline) would write it. At most one change per device: the next one of a device goes in a later call.
   */
  recordPresence(changes: PresenceChange[]): Promise<void>;
  /** A gateway (re)starting or stopping: its sessions are gone. */
  recordGatewayDown(gatewayId: string, at: Date): Promise<number>;
  /** Coalesced last-activity times, one statement for many devices. */
  touch(seen: LastSeen[]): Promise<void>;
  /** The payload decoder of the device's type (device_types.decoder, #14), null for the built-in default. */
  decoderOf(tenantId: string, deviceId: string): Promise<unknown>;
}

const DEFAULT_GRACE_MS = 3_600_000;
/** The token hash a session authenticated by X.509 client certificate is recorded with. */
export const CERTIFICATE_SESSION = 'x509';
const DEFAULT_MAX_PENDING = 10_000;
/** Pending devices one source address may create per window (#20). */
const DEFAULT_MAX_PENDING_PER_SOURCE = 20;
const DEFAULT_MAC_HANDSHAKES_PER_HOUR = 4;
const HASH_ONLY = 'id, tenant_id, asset_id, state, token_hash, previous_token_hash, previous_token_expires_at';

interface HashRow {
  id: string;
  tenant_id: string | null;
  asset_id: string | null;
  state: DeviceRecord['state'];
  token_hash: string | null;
  previous_token_hash: string | null;
  previous_token_expires_at: Date | null;
}

export function createRegistry(deps: RegistryDeps): Registry {
  const { pool } = deps;
  const graceMs = deps.tokenGraceMs ?? DEFAULT_GRACE_MS;
  const rules = (maxPending: number | undefined): Omit<HandshakeRules, 'maxPendingPerSource' | 'pendingWindowMs'> => ({
    graceMs,
    maxPending: maxPending ?? deps.maxPending ?? DEFAULT_MAX_PENDING,
    macHandshakesPerHour: deps.macHandshakesPerHour ?? DEFAULT_MAC_HANDSHAKES_PER_HOUR,
  });

  /** A pending device must not be assigned by a tenant other than the one it already belongs to. */
  const scoped = (tenantId: string | null | undefined) => (tenantId ? tenantId : null);

  const verdict = (row: HashRow | undefined, tokenHash: string): VerifyResult => {
    if (!row) return { ok: false, reason: 'unknown_device' };
    const current = sameHash(row.token_hash, tokenHash);
    const previous =
      !current &&
      row.previous_token_expires_at !== null &&
      row.previous_token_expires_at.getTime() > Date.now() &&
      sameHash(row.previous_token_hash, tokenHash);
    // The token is checked before the state. A revoked device has no token left, so any token is
    // wrong; saying 'revoked' there only tells our logs and metrics (MQTT answers 5 either way).
    if (!current && !previous) return { ok: false, reason: row.state === 'revoked' ? 'revoked' : 'bad_token' };
    if (row.state === 'revoked') return { ok: false, reason: 'revoked' };
    if (row.state === 'pending' || row.tenant_id === null) return { ok: false, reason: 'pending' };
    return {
      ok: true,
      identity: { deviceId: row.id, tenantId: row.tenant_id, assetId: row.asset_id, state: 'active' },
    };
  };

  async function get(deviceId: string, scope: Scope = {}): Promise<DeviceRecord | undefined> {
    const row = await one(
      pool,
      `SELECT ${DEVICE_COLUMNS} FROM devices WHERE id = $1 AND ($2::uuid IS NULL OR tenant_id = $2::uuid)`,
      [deviceId, scoped(scope.tenantId)],
    );
    return row && toRecord(row);
  }

  async function assertAsset(db: pg.PoolClient, tenantId: string, assetId: string | null | undefined): Promise<void> {
    if (!assetId) return;
    const { rowCount } = await db.query('SELECT 1 FROM assets WHERE id = $1 AND tenant_id = $2', [assetId, tenantId]);
    if (!rowCount) throw new AppError('NOT_FOUND', `asset ${assetId} not found in this tenant`);
  }

  async function bind(
    db: pg.PoolClient,
    tenantId: string,
    deviceId: string,
    assetId: string | null,
    actorId?: string | null,
  ) {
    await db.query('UPDATE device_bindings SET unbound_at = now() WHERE device_id = $1 AND unbound_at IS NULL', [
      deviceId,
    ]);
    if (assetId) {
      await db.query('INSERT INTO device_bindings (tenant_id, device_id, asset_id, bound_by) VALUES ($1, $2, $3, $4)', [
        tenantId,
        deviceId,
        assetId,
        actorId ?? null,
      ]);
    }
  }

  /** A burst of CONNECTs is one query, not one per device (the connect storm's cost). */
  const hashRowById = createBatchLoader<string, HashRow>(async (ids) => {
    const { rows } = await pool.query<HashRow>(`SELECT ${HASH_ONLY} FROM devices WHERE id = ANY($1::text[])`, [ids]);
    return new Map(rows.map((r) => [r.id, r]));
  });

  return {
    async decoderOf(tenantId, deviceId) {
      const { rows } = await pool.query<{ decoder: unknown }>(
        `SELECT dt.decoder FROM devices d
         JOIN device_types dt ON dt.tenant_id = d.tenant_id AND dt.name = d.device_type
         WHERE d.id = $1 AND d.tenant_id = $2`,
        [deviceId, tenantId],
      );
      return rows[0]?.decoder ?? null;
    },

    async handshake(input) {
      const mac = normalizeMac(input.mac);
      if (!mac) throw new AppError('VALIDATION_FAILED', 'mac must look like EC:E3:34:46:2B:C0');
      const { firmware, claimCode, proofToken } = input;
      return tx(pool, (client) =>
        claimCode
          ? handshakeByClaim(client, { mac, firmware, claimCode })
          : handshakeByMac(
              client,
              { mac, firmware, ...(proofToken ? { proofToken } : {}), source: input.source },
              {
                ...rules(input.maxPending),
                maxPendingPerSource: input.maxPendingPerSource ?? DEFAULT_MAX_PENDING_PER_SOURCE,
                pendingWindowMs: input.pendingWindowMs ?? 3_600_000,
              },
            ),
      );
    },

    async preRegister(input) {
      const mac = input.mac === undefined ? null : normalizeMac(input.mac);
      if (mac === undefined) throw new AppError('VALIDATION_FAILED', 'mac must look like EC:E3:34:46:2B:C0');
      const deviceId = input.deviceId ?? `dev-${randomBytes(6).toString('hex')}`;
      const claimCode = newClaimCode();
      return tx(pool, async (client) => {
        await assertAsset(client, input.tenantId, input.assetId);
        const row = await one(
          client,
          `INSERT INTO devices (id, tenant_id, asset_id, mac, name, device_type, expected_interval_s, state, claim_code_hash,
             handshake_policy, legacy_http, can_relay)
           VALUES ($1, $2, $3, $4, $5, $6, $7, 'active', $8, $9, $10, $11)
           ON CONFLICT DO NOTHING RETURNING ${DEVICE_COLUMNS}`,
          [
            deviceId,
            input.tenantId,
            input.assetId ?? null,
            mac,
            input.name ?? '',
            input.deviceType ?? 'generic',
            input.expectedIntervalS ?? 60,
            hashSecret(normalizeClaimCode(claimCode)),
            input.handshakePolicy ?? 'mac',
            input.legacyHttp ?? false,
            input.canRelay ?? false,
          ],
        ).catch((err: Error & { code?: string }) => {
          if (err.code === '23514') throw new AppError('VALIDATION_FAILED', `device id ${deviceId} is not allowed`);
          throw err;
        });
        // Ids and MACs are global: say that one is taken, not which, nor whose (maybe another tenant's).
        if (!row) throw new AppError('CONFLICT', mac ? 'device id or MAC not available' : 'device id not available');
        await bind(client, input.tenantId, deviceId, input.assetId ?? null, input.actorId);
        return { deviceId, claimCode, device: toRecord(row) };
      });
    },

    async assign(deviceId, tenantId, assetId = null, scope = {}) {
      if (scope.tenantId && scope.tenantId !== tenantId)
        throw new AppError('FORBIDDEN', 'cannot assign into another tenant');
      return tx(pool, async (client) => {
        const row = await one(client, `SELECT ${DEVICE_COLUMNS} FROM devices WHERE id = $1 FOR UPDATE`, [deviceId]);
        if (!row) throw new AppError('NOT_FOUND', `device ${deviceId} not found`);
        if (row.tenant_id && row.tenant_id !== tenantId) {
          // a tenant admin does not learn that another tenant's device exists
          if (scope.tenantId) throw new AppError('NOT_FOUND', `device ${deviceId} not found`);
          throw new AppError('CONFLICT', 'the device belongs to another tenant: revoke it there first');
        }
        await assertAsset(client, tenantId, assetId);
        const updated = await one(
          client,
          // trust on first use (#20): a device that already holds a token (it handshook while pending:
          // that was its first use) must prove itself from now on, unless the tenant allows MAC-only
          `UPDATE devices SET tenant_id = $2, asset_id = $3, state = 'active', revoked_at = NULL, updated_at = now(),
             handshake_policy = CASE
               WHEN token_hash IS NOT NULL AND NOT (SELECT allow_mac_only FROM tenants WHERE id = $2) THEN 'proof'
               ELSE handshake_policy END
           WHERE id = $1 RETURNING ${DEVICE_COLUMNS}`,
          [deviceId, tenantId, assetId],
        );
        if (row.asset_id !== assetId || row.tenant_id !== tenantId)
          await bind(client, tenantId, deviceId, assetId, scope.actorId);
        return toRecord(updated!);
      });
    },

    async rotateToken(deviceId, options = {}) {
      const token = newToken();
      const grace = options.graceMs ?? graceMs;
      const row = await one(
        pool,
        `UPDATE devices SET
           previous_token_hash = CASE WHEN $4::float8 > 0 THEN token_hash END,
           previous_token_expires_at = CASE WHEN $4::float8 > 0 AND token_hash IS NOT NULL THEN now() + make_interval(secs => $4::float8) END,
           token_hash = $3, token_issued_at = now(), updated_at = now()
         WHERE id = $1 AND ($2::uuid IS NULL OR tenant_id = $2::uuid) AND state <> 'revoked'
         RETURNING ${DEVICE_COLUMNS}`,
        [deviceId, scoped(options.tenantId), hashSecret(token), grace / 1000],
      );
      if (!row) {
        const existing = await get(deviceId, options);
        if (existing?.state === 'revoked') throw new AppError('DEVICE_REVOKED', `device ${deviceId} is revoked`);
        throw new AppError('NOT_FOUND', `device ${deviceId} not found`);
      }
      return { token };
    },

    async revoke(deviceId, scope = {}) {
      const row = await one(
        pool,
        `UPDATE devices SET state = 'revoked', revoked_at = now(), token_hash = NULL, previous_token_hash = NULL,
           previous_token_expires_at = NULL, claim_code_hash = NULL, updated_at = now()
         WHERE id = $1 AND ($2::uuid IS NULL OR tenant_id = $2::uuid) RETURNING ${DEVICE_COLUMNS}`,
        [deviceId, scoped(scope.tenantId)],
      );
      if (!row) throw new AppError('NOT_FOUND', `device ${deviceId} not found`);
      return toRecord(row);
    },

    async setEdgePolicy(deviceId, policy, scope = {}) {
      const row = await one(
        pool,
        `UPDATE devices SET handshake_policy = coalesce($3, handshake_policy), legacy_http = coalesce($4, legacy_http),
           can_relay = coalesce($5, can_relay), updated_at = now()
         WHERE id = $1 AND ($2::uuid IS NULL OR tenant_id = $2::uuid) RETURNING ${DEVICE_COLUMNS}`,
        [
          deviceId,
          scoped(scope.tenantId),
          policy.handshakePolicy ?? null,
          policy.legacyHttp ?? null,
          policy.canRelay ?? null,
        ],
      );
      if (!row) throw new AppError('NOT_FOUND', `device ${deviceId} not found`);
      return toRecord(row);
    },

    async verifyToken(deviceId, token) {
      if (!isTokenShaped(token)) return { ok: false, reason: 'bad_token' };
      return verdict(await hashRowById(deviceId), hashSecret(token));
    },

    async verifyCertificate(deviceId) {
      const row = await hashRowById(deviceId);
      if (!row) return { ok: false, reason: 'unknown_device' };
      if (row.state === 'revoked') return { ok: false, reason: 'revoked' };
      if (row.state === 'pending' || row.tenant_id === null) return { ok: false, reason: 'pending' };
      return {
        ok: true,
        identity: { deviceId: row.id, tenantId: row.tenant_id, assetId: row.asset_id, state: 'active' },
      };
    },

    async verifyBearer(token) {
      if (!isTokenShaped(token)) return { ok: false, reason: 'bad_token' };
      const hash = hashSecret(token);
      const { rows } = await pool.query<HashRow>(
        `SELECT ${HASH_ONLY} FROM devices WHERE token_hash = $1
         UNION ALL
         SELECT ${HASH_ONLY} FROM devices WHERE previous_token_hash = $1 AND previous_token_expires_at > now()
         LIMIT 1`,
        [hash],
      );
      const row = rows[0];
      return row ? verdict(row, hash) : { ok: false, reason: 'bad_token' };
    },

    get,

    async findByMac(mac, scope = {}) {
      const normalized = normalizeMac(mac);
      if (!normalized) return undefined;
      const row = await one(
        pool,
        `SELECT ${DEVICE_COLUMNS} FROM devices WHERE mac = $1 AND ($2::uuid IS NULL OR tenant_id = $2::uuid)`,
        [normalized, scoped(scope.tenantId)],
      );
      return row && toRecord(row);
    },

    async listPending(limit = 100) {
      const { rows } = await pool.query<DeviceRow>(
        `SELECT ${DEVICE_COLUMNS} FROM devices WHERE tenant_id IS NULL AND state = 'pending' ORDER BY created_at DESC LIMIT $1`,
        [limit],
      );
      return rows.map(toRecord);
    },

    async activeInTenant(tenantId, deviceIds) {
      if (deviceIds.length === 0) return [];
      const { rows } = await pool.query<{ id: string }>(
        "SELECT id FROM devices WHERE id = ANY($1::text[]) AND tenant_id = $2 AND state = 'active'",
        [deviceIds, tenantId],
      );
      return rows.map((r) => r.id);
    },

    async isTenantAlias(tenantId, customerId) {
      const { rowCount } = await pool.query(
        'SELECT 1 FROM tenants WHERE id = $1 AND (id::text = $2 OR external_id = $2)',
        [tenantId, customerId],
      );
      return (rowCount ?? 0) > 0;
    },

    async inactive(deviceIds) {
      if (deviceIds.length === 0) return [];
      const { rows } = await pool.query<{ id: string }>(
        `SELECT v.id FROM unnest($1::text[]) AS v(id) LEFT JOIN devices d ON d.id = v.id
         WHERE d.id IS NULL OR d.state <> 'active' OR d.tenant_id IS NULL`,
        [deviceIds],
      );
      return rows.map((r) => r.id);
    },

    async staleSessions(sessions) {
      if (sessions.length === 0) return [];
      const { rows } = await pool.query<{ id: string }>(
        `SELECT v.id FROM unnest($1::text[], $2::text[]) AS v(id, token_hash) LEFT JOIN devices d ON d.id = v.id
         WHERE d.id IS NULL OR d.state <> 'active' OR d.tenant_id IS NULL
            -- a session authenticated by client certificate (#20) holds no token: its state alone counts
            OR (v.token_hash <> '${CERTIFICATE_SESSION}' AND d.token_hash IS DISTINCT FROM v.token_hash
                AND NOT (d.previous_token_hash IS NOT DISTINCT FROM v.token_hash
                         AND coalesce(d.previous_token_expires_at > now(), false)))`,
        [sessions.map((s) => s.deviceId), sessions.map((s) => s.tokenHash)],
      );
      return rows.map((r) => r.id);
    },

    async prunePending(olderThanMs) {
      // Revoked devices stay: a revoked MAC must keep getting DEVICE_REVOKED, not a fresh pending row.
      const { rowCount } = await pool.query(
        `DELETE FROM devices WHERE id IN (
           SELECT id FROM devices WHERE state = 'pending' AND tenant_id IS NULL
             AND updated_at < now() - make_interval(secs => $1::float8) LIMIT 10000)`,
        [olderThanMs / 1000],
      );
      return rowCount ?? 0;
    },

    async recordConnected(deviceId, gatewayId, at) {
      await pool.query(
        `UPDATE devices SET online = true, connected_gateway = $2, last_connected_at = $3,
           last_seen_at = greatest(last_seen_at, $3) WHERE id = $1`,
        [deviceId, gatewayId, at],
      );
    },

    async recordDisconnected(deviceId, gatewayId, at) {
      // Only the gateway holding the latest session marks it offline: a device that moved to
      // another gateway (or reconnected here since) stays online.
      await pool.query(
        `UPDATE devices SET online = false, last_disconnected_at = $3, last_seen_at = greatest(last_seen_at, $3)
         WHERE id = $1 AND connected_gateway = $2 AND (last_connected_at IS NULL OR last_connected_at <= $3)`,
        [deviceId, gatewayId, at],
      );
    },

    async recordPresence(changes) {
      if (changes.length === 0) return;
      // One row per device: a statement cannot update the same row twice in order.
      const ids = new Set<string>();
      for (const c of changes) {
        if (ids.has(c.deviceId)) throw new Error(`recordPresence: device ${c.deviceId} twice in one batch`);
        ids.add(c.deviceId);
      }
      // online: as recordConnected; offline: as recordDisconnected (only the gateway holding the
      // latest session marks it offline).
      await pool.query(
        `UPDATE devices d SET
           online = v.online,
           connected_gateway = CASE WHEN v.online THEN v.gateway ELSE d.connected_gateway END,
           last_connected_at = CASE WHEN v.online THEN v.at ELSE d.last_connected_at END,
           last_disconnected_at = CASE WHEN v.online THEN d.last_disconnected_at ELSE v.at END,
           last_seen_at = greatest(d.last_seen_at, v.at)
         FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::boolean[]) AS v(id, gateway, at, online)
         WHERE d.id = v.id
           AND (v.online OR (d.connected_gateway = v.gateway
                             AND (d.last_connected_at IS NULL OR d.last_connected_at <= v.at)))`,
        [
          changes.map((c) => c.deviceId),
          changes.map((c) => c.gatewayId),
          changes.map((c) => c.at),
          changes.map((c) => c.online),
        ],
      );
    },

    async recordGatewayDown(gatewayId, at) {
      const { rowCount } = await pool.query(
        'UPDATE devices SET online = false, last_disconnected_at = $2 WHERE connected_gateway = $1 AND online',
        [gatewayId, at],
      );
      return rowCount ?? 0;
    },

    async touch(seen) {
      if (seen.length === 0) return;
      await pool.query(
        `UPDATE devices d SET last_seen_at = greatest(d.last_seen_at, v.at)
         FROM unnest($1::text[], $2::timestamptz[]) AS v(id, at) WHERE d.id = v.id`,
        [seen.map((s) => s.deviceId), seen.map((s) => s.at)],
      );
    },
  };
}
