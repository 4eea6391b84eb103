import { setFirmware } from '@telemetry/registry';
import { withTransaction } from '@telemetry/store';
import type pg from 'pg';

/**
 * What a device says about a firmware rollout (#18), on MQTT `devices/{id}/firmware` or POSTed to
 * `/api/device/firmware/progress`: `{"rolloutId", "state", "bytes", "version", "error"}`.
 */
export interface FirmwareReport {
  rolloutId: string;
  state: 'downloading' | 'installing' | 'updated' | 'failed';
  /** Bytes of the image the device holds so far. */
  bytes: number | null;
  /** The version now running (with `updated`). */
  version: string | null;
  error: string | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const STATES = new Set(['downloading', 'installing', 'updated', 'failed']);

/** A report from its JSON (bytes on MQTT, a parsed body over HTTP), or why it is not one. */
export function parseFirmwareReport(payload: Buffer | string | unknown): FirmwareReport | { invalid: string } {
  let v: unknown = payload;
  if (typeof payload === 'string' || Buffer.isBuffer(payload)) {
    try {
      v = JSON.parse(payload.toString());
    } catch {
      return { invalid: 'firmware report is not JSON' };
    }
  }
  if (typeof v !== 'object' || v === null) return { invalid: 'firmware report is not a JSON object' };
  const o = v as Record<string, unknown>;
  if (typeof o.rolloutId !== 'string' || !UUID.test(o.rolloutId))
    return { invalid: 'firmware report has no rollout id ("rolloutId")' };
  if (typeof o.state !== 'string' || !STATES.has(o.state))
    return { invalid: 'firmware report state must be downloading, installing, updated or failed' };
  if (o.bytes !== undefined && (typeof o.bytes !== 'number' || !Number.isSafeInteger(o.bytes) || o.bytes < 0))
    return { invalid: 'firmware report bytes must be a non-negative integer' };
  if (o.version !== undefined && (typeof o.version !== 'string' || o.version.length > 64))
    return { invalid: 'firmware report version must be a string of at most 64 characters' };
  return {
    rolloutId: o.rolloutId,
    state: o.state as FirmwareReport['state'],
    bytes: typeof o.bytes === 'number' ? o.bytes : null,
    version: typeof o.version === 'string' ? o.version : null,
    error: typeof o.error === 'string' ? o.error.slice(0, 500) : null,
  };
}

/**
 * recorded: the device's state moved; stale: it was final already or the report is older than
 * what is recorded (a resent QoS 1 message); unknown: no such rollout for this device (another
 * tenant's, or none); expired: the rollout ended before the report.
 */
export type ReportOutcome = 'recorded' | 'stale' | 'unknown' | 'expired';

type Db = Pick<pg.ClientBase, 'query'>;

// a state only moves forward; updated and failed are final
const ORDER = `ARRAY['pending','notified','downloading','installing','updated','failed']`;

/**
 * Records device reports (the gateway for MQTT, the api for HTTP share this): tenant-scoped by the
 * device's own identity, bounded (one rollout row), and on `updated` the device's firmware is the
 * rolled-out version in the same transaction (written by @telemetry/registry, the one writer of
 * devices, #17; the other reports stay one statement). A device reporting another version than the
 * rollout's has not taken it: recorded as failed.
 */
export function createFirmwareReports(pool: pg.Pool) {
  const db: Db = pool;
  return {
    async report(tenantId: string, deviceId: string, r: FirmwareReport): Promise<ReportOutcome> {
      const { rows } = await db.query<{ version: string; size: string; expired: boolean }>(
        `SELECT r.version, r.size, r.expires_at <= now() AS expired
           FROM firmware_rollout_devices rd JOIN firmware_rollouts r ON r.id = rd.rollout_id
          WHERE rd.rollout_id = $1 AND rd.device_id = $2 AND rd.tenant_id = $3`,
        [r.rolloutId, deviceId, tenantId],
      );
      const target = rows[0];
      if (!target) return 'unknown';
      if (target.expired) return 'expired';
      let state: FirmwareReport['state'] = r.state;
      let error = r.error;
      if (state === 'updated' && r.version !== null && r.version !== target.version) {
        state = 'failed';
        error = `device runs ${r.version} after the update, the rollout is ${target.version}`;
      }
      if (state === 'failed' && !error) error = 'the device reported a failure';
      const bytes = r.bytes === null ? null : Math.min(r.bytes, Number(target.size));
      const move = async (q: Db) => {
        const { rowCount } = await q.query(
          `UPDATE firmware_rollout_devices SET state = $4::text, bytes = COALESCE($5::bigint, bytes),
                  error = $6::text, updated_at = now(),
                  finished_at = CASE WHEN $4::text IN ('updated', 'failed') THEN now() END
            WHERE rollout_id = $1 AND device_id = $2 AND tenant_id = $3
              AND state NOT IN ('updated', 'failed')
              AND array_position(${ORDER}, $4::text) >= array_position(${ORDER}, state)`,
          [r.rolloutId, deviceId, tenantId, state, bytes, error],
        );
        return (rowCount ?? 0) > 0;
      };
      const moved =
        state === 'updated'
          ? await withTransaction(pool, async (client) => {
              const done = await move(client);
              if (done) await setFirmware(client, deviceId, target.version);
              return done;
            })
          : await move(db);
      return moved ? 'recorded' : 'stale';
    },
  };
}

export type FirmwareReports = ReturnType<typeof createFirmwareReports>;
