import { randomBytes } from 'node:crypto';
import { AppError } from '@telemetry/contracts';
import type pg from 'pg';
import { one, tx } from './db.js';
import { recordBinding } from './device-store.js';
import { getDevice, scopedTenant } from './directory.js';
import { handshakeByClaim, handshakeByMac } from './handshake.js';
import { DEVICE_COLUMNS, toRecord } from './rows.js';
import { hashSecret, newClaimCode, newToken, normalizeClaimCode, normalizeMac } from './secrets.js';
import type { DeviceRecord, EdgePolicy, HandshakeInput, HandshakeResult, PreRegisterInput, Scope } from './types.js';

export interface LifecycleOptions {
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

/** A device's life: created (pre-registered, or pending at its first handshake), assigned, re-keyed, revoked, pruned. */
export interface DeviceLifecycle {
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
  /** Deletes pending devices (never assigned) not heard from for `olderThanMs`; returns how many. */
  prunePending(olderThanMs: number): Promise<number>;
}

const DEFAULT_GRACE_MS = 3_600_000;
const DEFAULT_MAX_PENDING = 10_000;
/** Pending devices one source address may create per window (#20). */
const DEFAULT_MAX_PENDING_PER_SOURCE = 20;
const DEFAULT_MAC_HANDSHAKES_PER_HOUR = 4;

async function assertAsset(db: pg.PoolClient, tenantId: string, assetId: string | null | undefined): Promise<void> {
  if (!assetId) return;
  const { rowCount } = await db.query('SELECT 1 FROM assets WHERE id = $1 AND tenant_id = $2', [assetId, tenantId]);
  if (!rowCount) throw new AppError('NOT_FOUND', `asset ${assetId} not found in this tenant`);
}

export function createDeviceLifecycle(options: LifecycleOptions): DeviceLifecycle {
  const { pool } = options;
  const graceMs = options.tokenGraceMs ?? DEFAULT_GRACE_MS;

  return {
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
                graceMs,
                maxPending: input.maxPending ?? options.maxPending ?? DEFAULT_MAX_PENDING,
                macHandshakesPerHour: options.macHandshakesPerHour ?? DEFAULT_MAC_HANDSHAKES_PER_HOUR,
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
        await recordBinding(client, {
          tenantId: input.tenantId,
          deviceId,
          assetId: input.assetId ?? null,
          actorId: input.actorId,
        });
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
          await recordBinding(client, { tenantId, deviceId, assetId, actorId: scope.actorId });
        return toRecord(updated!);
      });
    },

    async rotateToken(deviceId, rotation = {}) {
      const token = newToken();
      const grace = rotation.graceMs ?? graceMs;
      const row = await one(
        pool,
        `UPDATE devices SET
           previous_token_hash = CASE WHEN $4::float8 > 0 THEN token_hash END,
           previous_token_expires_at = CASE WHEN $4::float8 > 0 AND token_hash IS NOT NULL THEN now() + make_interval(secs => $4::float8) END,
           token_hash = $3, token_issued_at = now(), updated_at = now()
         WHERE id = $1 AND ($2::uuid IS NULL OR tenant_id = $2::uuid) AND state <> 'revoked'
         RETURNING ${DEVICE_COLUMNS}`,
        [deviceId, scopedTenant(rotation), hashSecret(token), grace / 1000],
      );
      if (!row) {
        const existing = await getDevice(pool, deviceId, rotation);
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
        [deviceId, scopedTenant(scope)],
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
          scopedTenant(scope),
          policy.handshakePolicy ?? null,
          policy.legacyHttp ?? null,
          policy.canRelay ?? null,
        ],
      );
      if (!row) throw new AppError('NOT_FOUND', `device ${deviceId} not found`);
      return toRecord(row);
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
  };
}
