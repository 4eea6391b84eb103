import type pg from 'pg';
import { createBatchLoader } from './batch.js';
import { hashSecret, isTokenShaped, sameHash } from './secrets.js';
import type { DeviceState, SessionCredential, VerifyResult } from './types.js';

/**
 * Who may connect: the device edge's credential checks (MQTT CONNECT, HTTP Bearer, client
 * certificates) and the MQTT gateway's revalidation of open sessions. Reads only.
 */
export interface DeviceCredentials {
  /** MQTT CONNECT: username = device id, password = token. */
  verifyToken(deviceId: string, token: string): Promise<VerifyResult>;
  /**
   * MQTT over TLS with a client certificate our configured CA issued (the AWS IoT way, #20): the
   * certificate's subject CN names the device; no token. Pending, revoked, unknown: refused.
   */
  verifyCertificate(deviceId: string): Promise<VerifyResult>;
  /** HTTP `Authorization: Bearer <token>`: the token alone finds its device. */
  verifyBearer(token: string): Promise<VerifyResult>;
  /** Of these ids, the ones that may no longer connect (revoked, pending, deleted): open sessions to close. */
  inactive(deviceIds: string[]): Promise<string[]>;
  /**
   * Of these sessions, the device ids of the ones to close: the device may no longer connect, or
   * the token the session authenticated with is neither its current one nor the previous one
   * inside its grace window (rotated away, e.g. with no grace after a leak).
   */
  staleSessions(sessions: SessionCredential[]): Promise<string[]>;
}

/** The token hash a session authenticated by X.509 client certificate is recorded with. */
export const CERTIFICATE_SESSION = 'x509';

const HASH_ONLY = 'id, tenant_id, asset_id, state, token_hash, previous_token_hash, previous_token_expires_at';

interface HashRow {
  id: string;
  tenant_id: string | null;
  asset_id: string | null;
  state: DeviceState;
  token_hash: string | null;
  previous_token_hash: string | null;
  previous_token_expires_at: Date | null;
}

const active = (row: HashRow): VerifyResult => {
  if (row.state === 'revoked') return { ok: false, reason: 'revoked' };
  if (row.state === 'pending' || row.tenant_id === null) return { ok: false, reason: 'pending' };
  return { ok: true, identity: { deviceId: row.id, tenantId: row.tenant_id, assetId: row.asset_id, state: 'active' } };
};

function verdict(row: HashRow | undefined, tokenHash: string): VerifyResult {
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
  return active(row);
}

export function createDeviceCredentials(deps: { pool: pg.Pool }): DeviceCredentials {
  const { pool } = deps;

  /** A burst of CONNECTs is one query, not one per device (the connect storm's cost). */
  const hashRowById = createBatchLoader<string, HashRow>(async (ids) => {
    const { rows } = await pool.query<HashRow>(`SELECT ${HASH_ONLY} FROM devices WHERE id = ANY($1::text[])`, [ids]);
    return new Map(rows.map((r) => [r.id, r]));
  });

  return {
    async verifyToken(deviceId, token) {
      if (!isTokenShaped(token)) return { ok: false, reason: 'bad_token' };
      return verdict(await hashRowById(deviceId), hashSecret(token));
    },

    async verifyCertificate(deviceId) {
      const row = await hashRowById(deviceId);
      return row ? active(row) : { ok: false, reason: 'unknown_device' };
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
  };
}
