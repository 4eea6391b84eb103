import { AppError } from '@telemetry/contracts';
import type pg from 'pg';
import { one } from './db.js';
import { DEVICE_COLUMNS, type DeviceRow, toRecord } from './rows.js';
import { deviceIdForMac, hashSecret, isTokenShaped, newToken, normalizeClaimCode, sameHash } from './secrets.js';
import type { DeviceRecord, HandshakeResult } from './types.js';

/**
 * The ozone handshake `{mac, firmware}` -> `{device_id, token, assigned}` and its two optional,
 * wire-compatible extensions: a claim code in the body, the current token as `Authorization: Bearer`.
 * Decision table in ../README.md.
 */
export interface HandshakeRules {
  /** How long the token a handshake replaces stays valid. */
  graceMs: number;
  /** No new pending device is created while this many wait for an admin. */
  maxPending: number;
  /** MAC-only re-handshakes of an active 'mac' device inside the grace window of its token, per hour. */
  macHandshakesPerHour: number;
  /** Pending devices one source address may create per pendingWindowMs (#20). */
  maxPendingPerSource: number;
  pendingWindowMs: number;
}

const HOUR_MS = 3_600_000;

/** The secrets' hashes and the limiter's state: what the handshake decides on, never returned. */
const GUARD_COLUMNS = `token_hash, token_issued_at, previous_token_hash, previous_token_expires_at,
  mac_handshake_window_at, mac_handshakes`;

interface GuardedRow extends DeviceRow {
  token_hash: string | null;
  token_issued_at: Date | null;
  previous_token_hash: string | null;
  previous_token_expires_at: Date | null;
  mac_handshake_window_at: Date | null;
  mac_handshakes: number;
}

const graceOpen = (row: GuardedRow, now: number) =>
  row.previous_token_hash !== null &&
  row.previous_token_expires_at !== null &&
  row.previous_token_expires_at.getTime() > now;

/** The token is the device's current one, or the previous one inside its grace window (a lost response). */
function holds(row: GuardedRow, token: string | undefined, now: number): boolean {
  if (token === undefined || !isTokenShaped(token)) return false;
  const hash = hashSecret(token);
  return sameHash(row.token_hash, hash) || (graceOpen(row, now) && sameHash(row.previous_token_hash, hash));
}

export const isAssigned = (r: DeviceRecord): boolean => r.state === 'active' && r.tenantId !== null;

const lockByMac = (client: pg.PoolClient, mac: string) =>
  one<GuardedRow>(client, `SELECT ${DEVICE_COLUMNS}, ${GUARD_COLUMNS} FROM devices WHERE mac = $1 FOR UPDATE`, [mac]);

/**
 * Unauthenticated requests create pending devices: a global cap keeps that bounded (the prune
 * removes the ones nobody assigns). Soft under concurrency (a few over), which is enough here.
 */
async function assertPendingRoom(
  client: pg.PoolClient,
  maxPending: number,
  source: { address: string | undefined; max: number; windowMs: number },
): Promise<void> {
  if (source.address !== undefined) {
    // per source address first: one address filling the global cap would lock every new device out (#20)
    const { rows } = await client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM devices
        WHERE state = 'pending' AND tenant_id IS NULL AND created_from = $1
          AND created_at > now() - make_interval(secs => $2::float8)`,
      [source.address, source.windowMs / 1000],
    );
    if ((rows[0]?.n ?? 0) >= source.max) {
      throw new AppError(
        'RATE_LIMITED',
        'too many unknown devices from this address are waiting for an admin: this one was not recorded; retry later, or use the claim code of a pre-registered device',
        { retriable: true },
      );
    }
  }
  const { rows } = await client.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM devices WHERE state = 'pending' AND tenant_id IS NULL",
  );
  if ((rows[0]?.n ?? 0) >= maxPending) {
    throw new AppError(
      'RATE_LIMITED',
      'too many unknown devices are waiting for an admin to assign them: this device was not recorded; retry later',
      { retriable: true },
    );
  }
}

export async function handshakeByMac(
  client: pg.PoolClient,
  input: { mac: string; firmware: string; proofToken?: string; source?: string },
  rules: HandshakeRules,
): Promise<HandshakeResult> {
  const { mac, firmware } = input;
  const token = newToken();
  let row = await lockByMac(client, mac);
  if (!row) {
    await assertPendingRoom(client, rules.maxPending, {
      address: input.source,
      max: rules.maxPendingPerSource,
      windowMs: rules.pendingWindowMs,
    });
    // An unknown MAC is legacy firmware until an admin says otherwise: 'mac', explicitly (the seed's
    // firmware re-handshakes by MAC alone at every boot and could not prove anything).
    const created = await one(
      client,
      `INSERT INTO devices (id, mac, firmware, state, handshake_policy, token_hash, token_issued_at, created_from)
       VALUES ($1, $2, $3, 'pending', 'mac', $4, now(), $5)
       ON CONFLICT DO NOTHING RETURNING ${DEVICE_COLUMNS}`,
      [deviceIdForMac(mac), mac, firmware, hashSecret(token), input.source ?? null],
    );
    if (created) return { deviceId: created.id, token, assigned: false, state: 'pending', created: true };
    // Lost a race with a concurrent first handshake of the same MAC: rotate the winner's token.
    row = await lockByMac(client, mac);
    // (or the derived id belongs to a device with another MAC: say nothing about that device)
    if (!row) throw new AppError('CONFLICT', 'this MAC cannot register itself: an admin must pre-register it');
  }
  if (row.state === 'revoked') throw new AppError('DEVICE_REVOKED', 'device credentials revoked');

  const now = Date.now();
  const proven = holds(row, input.proofToken, now);
  if (row.handshake_policy === 'proof' && !proven && row.token_hash !== null) {
    // Past its first claim, a 'proof' device gets a token only by proving it is itself.
    throw new AppError(
      'FORBIDDEN',
      input.proofToken === undefined
        ? 'this device must prove itself to handshake again: send its current token as Authorization: Bearer <token>, or its claim_code'
        : 'the Bearer token is not this device’s current token: send the current one, or the claim_code',
    );
  }

  // Trust on first use (#20): an assigned 'mac' device of a tenant that did not opt in to MAC-only
  // devices gets this one MAC-only handshake (its first since assignment or since an admin re-opened
  // it) and becomes 'proof': from now on only its current token (or claim code) gets it a new one.
  let tofu = false;
  if (row.handshake_policy === 'mac' && row.state === 'active' && row.tenant_id !== null) {
    const { rows } = await client.query<{ allow: boolean }>(
      'SELECT allow_mac_only AS allow FROM tenants WHERE id = $1',
      [row.tenant_id],
    );
    tofu = rows[0]?.allow !== true;
  }

  // A MAC-only re-handshake of an active 'mac' device whose token is younger than the grace
  // period (so the token it replaces will still be valid): anyone who knows the MAC can do this,
  // so it may not mint tokens without bound. A device that reboots now and then is never counted.
  let windowAt: Date | null = null;
  let count: number | null = null;
  const young =
    row.token_hash !== null && row.token_issued_at !== null && row.token_issued_at.getTime() > now - rules.graceMs;
  if (row.handshake_policy === 'mac' && !proven && row.state === 'active' && young) {
    const fresh = row.mac_handshake_window_at === null || row.mac_handshake_window_at.getTime() <= now - HOUR_MS;
    count = fresh ? 1 : row.mac_handshakes + 1;
    if (count > rules.macHandshakesPerHour) {
      throw new AppError(
        'RATE_LIMITED',
        'too many handshakes of this MAC within the token grace period: retry later, or send the current token as Authorization: Bearer <token>',
        { retriable: true },
      );
    }
    windowAt = fresh ? new Date(now) : row.mac_handshake_window_at;
  }

  const rotated = await one(
    client,
    `UPDATE devices SET firmware = $2,
       previous_token_hash = token_hash,
       previous_token_expires_at = CASE WHEN token_hash IS NULL THEN NULL ELSE now() + make_interval(secs => $4) END,
       token_hash = $3, token_issued_at = now(),
       -- 'mac': the MAC handshake of a device pre-registered with this MAC claims it, its code is spent;
       -- 'proof': the code stays usable, so the owner can take back a device someone else claimed first
       claim_code_hash = CASE WHEN handshake_policy = 'proof' THEN claim_code_hash END,
       claimed_at = coalesce(claimed_at, CASE WHEN claim_code_hash IS NOT NULL THEN now() END),
       mac_handshake_window_at = coalesce($5::timestamptz, mac_handshake_window_at),
       mac_handshakes = coalesce($6::int, mac_handshakes),
       handshake_policy = CASE WHEN $7::boolean THEN 'proof' ELSE handshake_policy END,
       updated_at = now()
     WHERE id = $1 RETURNING ${DEVICE_COLUMNS}`,
    [row.id, firmware, hashSecret(token), rules.graceMs / 1000, windowAt, count, tofu],
  );
  const r = toRecord(rotated!);
  return { deviceId: r.id, token, assigned: isAssigned(r), state: r.state, created: false };
}

export async function handshakeByClaim(
  client: pg.PoolClient,
  input: { mac: string; firmware: string; claimCode: string },
): Promise<HandshakeResult> {
  const { mac, firmware } = input;
  const claimed = await one(client, `SELECT ${DEVICE_COLUMNS} FROM devices WHERE claim_code_hash = $1 FOR UPDATE`, [
    hashSecret(normalizeClaimCode(input.claimCode)),
  ]);
  if (!claimed) throw new AppError('TOKEN_INVALID', 'claim code unknown or already used');
  // The 409s name no device: the caller may not be of the tenant that owns the other one.
  if (claimed.mac && claimed.mac !== mac) throw new AppError('CONFLICT', 'this claim code cannot be used by this MAC');
  const other = await one(client, `SELECT ${DEVICE_COLUMNS} FROM devices WHERE mac = $1 AND id <> $2 FOR UPDATE`, [
    mac,
    claimed.id,
  ]);
  if (other) {
    // The device handshook before it was claimed: its auto-created pending twin goes away.
    if (other.state !== 'pending' || other.tenant_id !== null) {
      throw new AppError('CONFLICT', 'this MAC is in use by another device: it cannot claim this one');
    }
    await client.query('DELETE FROM devices WHERE id = $1', [other.id]);
  }
  const token = newToken();
  const row = await one(
    client,
    `UPDATE devices SET mac = $2, firmware = $3, token_hash = $4, token_issued_at = now(),
       previous_token_hash = NULL, previous_token_expires_at = NULL,
       claim_code_hash = NULL, claimed_at = now(), updated_at = now()
     WHERE id = $1 RETURNING ${DEVICE_COLUMNS}`,
    [claimed.id, mac, firmware, hashSecret(token)],
  );
  const r = toRecord(row!);
  return { deviceId: r.id, token, assigned: isAssigned(r), state: r.state, created: false };
}
